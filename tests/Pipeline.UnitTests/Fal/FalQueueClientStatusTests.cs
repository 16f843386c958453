using System.Net;
using Pipeline.Core.Fal;

namespace Pipeline.UnitTests.Fal;

public sealed class FalQueueClientStatusTests
{
    [Theory]
    [InlineData(HttpStatusCode.Accepted, "IN_QUEUE", FalRequestState.InQueue, 3)]
    [InlineData(HttpStatusCode.Accepted, "IN_PROGRESS", FalRequestState.InProgress, null)]
    [InlineData(HttpStatusCode.OK, "COMPLETED", FalRequestState.Completed, null)]
    public async Task GetStatusAsync_EachState_ParsesStateAndQueuePosition(
        HttpStatusCode code, string status, FalRequestState state, int? position)
    {
        var harness = new FalClientHarness();
        var positionJson = position is null ? "" : $", \"queue_position\": {position}";
        harness.Handler.Respond(code, $$"""
            { "status": "{{status}}", "request_id": "{{FalClientHarness.RequestId}}",
              "response_url": "{{FalClientHarness.ResponseUrl}}", "status_url": "{{FalClientHarness.StatusUrl}}",
              "cancel_url": "{{FalClientHarness.CancelUrl}}", "logs": null, "metrics": {} {{positionJson}} }
            """);

        var result = await harness.CreateClient().GetStatusAsync(FalClientHarness.StatusUrl, TestContext.Current.CancellationToken);

        Assert.Equal(new FalRequestStatus(FalClientHarness.RequestId, state, position, null, null), result);
    }

    [Fact]
    public async Task GetStatusAsync_Always_GetsStatusUrlWithLogsOffAndKeyHeader()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.Accepted, """{ "status": "IN_PROGRESS" }""");

        await harness.CreateClient().GetStatusAsync(FalClientHarness.StatusUrl, TestContext.Current.CancellationToken);

        var request = Assert.Single(harness.Handler.Requests);
        Assert.Equal(HttpMethod.Get, request.Method);
        Assert.Equal(FalClientHarness.StatusUrl.AbsoluteUri + "?logs=0", request.Uri.AbsoluteUri);
        Assert.Equal($"Key {FalClientHarness.Key}", request.Authorization?.ToString());
    }

    [Fact]
    public async Task GetStatusAsync_UrlWithQuery_AppendsLogsOff()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.Accepted, """{ "status": "IN_PROGRESS" }""");

        await harness.CreateClient().GetStatusAsync(new Uri(FalClientHarness.StatusUrl + "?x=1"), TestContext.Current.CancellationToken);

        Assert.Equal(FalClientHarness.StatusUrl.AbsoluteUri + "?x=1&logs=0", Assert.Single(harness.Handler.Requests).Uri.AbsoluteUri);
    }

    [Fact]
    public async Task GetStatusAsync_CompletedWithError_ReturnsErrorAndType()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, """
            { "status": "COMPLETED", "request_id": "r-9", "metrics": { "inference_time": 1.5 },
              "error": "Invalid status code: 422", "error_type": "file_download_error" }
            """);

        var result = await harness.CreateClient().GetStatusAsync(FalClientHarness.StatusUrl, TestContext.Current.CancellationToken);

        Assert.Equal(
            new FalRequestStatus("r-9", FalRequestState.Completed, null, "Invalid status code: 422", "file_download_error"),
            result);
    }

    [Fact]
    public async Task GetStatusAsync_BodyWithoutRequestId_TakesItFromTheUrl()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.Accepted, """{ "status": "IN_QUEUE", "queue_position": "0" }""");

        var result = await harness.CreateClient().GetStatusAsync(FalClientHarness.StatusUrl, TestContext.Current.CancellationToken);

        Assert.Equal(FalClientHarness.RequestId, result.RequestId);
        Assert.Equal(0, result.QueuePosition);
    }

    [Fact]
    public async Task GetStatusAsync_UnknownStatusValue_ThrowsFalApiException()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, """{ "status": "EXPLODED" }""");

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().GetStatusAsync(FalClientHarness.StatusUrl, TestContext.Current.CancellationToken));

        Assert.Contains("EXPLODED", error.Message, StringComparison.Ordinal);
        Assert.Equal(FalClientHarness.RequestId, error.RequestId);
    }

    [Fact]
    public async Task GetStatusAsync_On404_ThrowsFalApiException()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.NotFound, """{ "detail": "Request not found" }""");

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().GetStatusAsync(FalClientHarness.StatusUrl, TestContext.Current.CancellationToken));

        Assert.Single(harness.Handler.Requests);
        Assert.Equal(404, error.Status);
        Assert.False(error.IsRetryable);
        Assert.Equal(FalClientHarness.RequestId, error.RequestId);
        Assert.Equal("fal answered 404: Request not found", error.Message);
    }
}
