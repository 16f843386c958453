using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Messaging;
using Azure.Messaging.EventGrid;

namespace Pipeline.IntegrationTests.Infrastructure;

public sealed class EventGridSinkTests
{
    [Fact]
    public async Task SendEventsAsync_RealPublisherOverHttp_BothEventsArrive()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sink = await EventGridSink.StartAsync();
        var publisher = new EventGridPublisherClient(sink.TopicEndpoint, new AzureKeyCredential(sink.Key));

        await publisher.SendEventsAsync(
        [
            new CloudEvent("/pipeline/jobs/1", "Pipeline.VideoReady", new { jobId = "1", url = "http://x/1.mp4" }) { Subject = "jobs/1" },
            new CloudEvent("/pipeline/jobs/2", "Pipeline.VideoFailed", new { jobId = "2" }) { Subject = "jobs/2" },
        ], ct);

        var events = await sink.WaitForAsync(e => e.Count == 2);
        Assert.Equal(["Pipeline.VideoReady", "Pipeline.VideoFailed"], events.Select(e => e.Type));
        Assert.Equal("jobs/1", events[0].Subject);
        Assert.Equal("1", events[0].Data!.ToObjectFromJson<VideoReady>(JsonSerializerOptions.Web)!.JobId);
        var request = Assert.Single(sink.Requests);
        Assert.Equal("application/cloudevents-batch+json; charset=utf-8", request.ContentType);
        Assert.Contains("\"specversion\":\"1.0\"", sink.Received[0].RawJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendEventAsync_SingleEvent_IsPostedAsABatchOfOne()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sink = await EventGridSink.StartAsync("another-key");
        var publisher = new EventGridPublisherClient(sink.TopicEndpoint, new AzureKeyCredential("another-key"));

        await publisher.SendEventAsync(new CloudEvent("/src", "Pipeline.One", new { n = 1 }), ct);

        Assert.Equal("Pipeline.One", Assert.Single(sink.Events).Type);
        Assert.Equal("application/cloudevents-batch+json; charset=utf-8", Assert.Single(sink.Requests).ContentType);
    }

    [Fact]
    public async Task SendEventsAsync_SinkFailsTwice_DefaultRetryPolicySucceeds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sink = await EventGridSink.StartAsync();
        var publisher = new EventGridPublisherClient(sink.TopicEndpoint, new AzureKeyCredential(sink.Key));
        sink.FailNext(2);

        var stopwatch = Stopwatch.StartNew();
        await publisher.SendEventsAsync([new CloudEvent("/src", "Pipeline.Retried", new { n = 1 })], ct);
        stopwatch.Stop();

        Assert.Equal([500, 500, 200], sink.Requests.Select(r => r.Status));
        Assert.Equal("Pipeline.Retried", Assert.Single(sink.Events).Type);
        // Azure.Core's default: 3 retries, exponential from 0.8 s with jitter (0.8 s + 1.6 s, each ±20 %).
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(10));
        TestContext.Current.SendDiagnosticMessage($"Two 500s retried in {stopwatch.Elapsed.TotalSeconds:0.00} s.");
    }

    [Fact]
    public async Task SendEventsAsync_SinkFailsBeyondRetries_ThrowsRequestFailedException()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sink = await EventGridSink.StartAsync();
        var options = new EventGridPublisherClientOptions();
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.Mode = RetryMode.Fixed;
        var publisher = new EventGridPublisherClient(sink.TopicEndpoint, new AzureKeyCredential(sink.Key), options);
        sink.FailNext(5, 503);

        var error = await Assert.ThrowsAsync<RequestFailedException>(
            () => publisher.SendEventsAsync([new CloudEvent("/src", "Pipeline.Lost", new { n = 1 })], ct));

        Assert.Equal(503, error.Status);
        Assert.Equal(3, sink.Requests.Count);
        Assert.Empty(sink.Events);
    }

    [Fact]
    public async Task SendEventsAsync_WrongKey_Throws401WithoutRetrying()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sink = await EventGridSink.StartAsync("right-key");
        var publisher = new EventGridPublisherClient(sink.TopicEndpoint, new AzureKeyCredential("wrong-key"));

        var error = await Assert.ThrowsAsync<RequestFailedException>(
            () => publisher.SendEventsAsync([new CloudEvent("/src", "Pipeline.Denied", new { n = 1 })], ct));

        Assert.Equal(401, error.Status);
        Assert.False(Assert.Single(sink.Requests).KeyAccepted);
        Assert.Empty(sink.Events);
    }

    [Fact]
    public async Task Post_SingleCloudEventContentType_IsStoredWithRawJson()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sink = await EventGridSink.StartAsync();
        using var http = new HttpClient();
        const string json = """{"specversion":"1.0","id":"e1","source":"/src","type":"Pipeline.Single","data":{"a":1}}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, sink.TopicEndpoint)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/cloudevents+json"),
        };
        request.Headers.Add(EventGridSink.KeyHeader, sink.Key);

        using var response = await http.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(sink.Received);
        Assert.Equal("e1", received.Event.Id);
        Assert.Equal(json, received.RawJson);
    }

    [Theory]
    [InlineData(null, "application/cloudevents-batch+json", "[]", HttpStatusCode.Unauthorized)]
    [InlineData("sink-key", "application/json", "[]", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("sink-key", "application/cloudevents-batch+json", "{not json", HttpStatusCode.BadRequest)]
    [InlineData("sink-key", "application/cloudevents-batch+json", """[{"id":"x"}]""", HttpStatusCode.BadRequest)]
    [InlineData("sink-key", "application/cloudevents+json", "[]", HttpStatusCode.BadRequest)]
    public async Task Post_BadRequest_IsRefusedAndStoresNothing(
        string? key, string contentType, string body, HttpStatusCode expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sink = await EventGridSink.StartAsync();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, sink.TopicEndpoint)
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        };
        if (key is not null)
        {
            request.Headers.Add(EventGridSink.KeyHeader, key);
        }

        using var response = await http.SendAsync(request, ct);

        Assert.Equal(expected, response.StatusCode);
        Assert.Empty(sink.Events);
    }

    [Fact]
    public async Task WaitForAsync_ConditionNeverHolds_ThrowsTimeoutException()
    {
        await using var sink = await EventGridSink.StartAsync();

        await Assert.ThrowsAsync<TimeoutException>(
            () => sink.WaitForAsync(e => e.Count > 0, TimeSpan.FromMilliseconds(100)));
    }

    private sealed record VideoReady(string JobId);
}
