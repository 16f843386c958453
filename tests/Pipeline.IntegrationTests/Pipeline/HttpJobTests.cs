using System.Net;
using FalEmulator.Recording;
using Pipeline.Core.Events;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Pipeline;

/// <summary>Jobs through the HTTP API, end to end: emulator, in-process Durable Task engine, Azurite, Event Grid sink.</summary>
public sealed class HttpJobTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task TextToVideo_ThroughTheApi_StoresTheEmulatorsMp4ByteForByteAndPublishesEvents()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (status, accepted, response) = await host.SubmitAsync("text-to-video", new { prompt = "A lighthouse at dusk", resolution = "480p", duration = "4", seed = 7 });

        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = accepted["id"]!.GetValue<string>();
        Assert.Equal(response.Headers.Location!.ToString(), accepted["status_url"]!.GetValue<string>());
        var job = await host.WaitForJobAsync(id);
        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        Assert.Equal(7, job["seed"]!.GetValue<long>());
        var falRequestId = job["fal_request_id"]!.GetValue<string>();
        var video = job["video"]!;
        Assert.Equal("video/mp4", video["content_type"]!.GetValue<string>());
        Assert.Equal($"videos/jobs/{id}.mp4", video["blob"]!.GetValue<string>());

        var stored = (await host.VideoBlob($"jobs/{id}.mp4").DownloadContentAsync(PipelineTestHost.Token)).Value;
        var emulated = await File.ReadAllBytesAsync(host.Fal.Requests.Find(falRequestId)!.VideoPath!, PipelineTestHost.Token);
        Assert.Equal(emulated, stored.Content.ToArray());
        Assert.Equal(video["size_bytes"]!.GetValue<long>(), emulated.LongLength);
        Assert.Equal(falRequestId, stored.Details.Metadata["fal_request_id"]);
        Assert.Equal("text-to-video", stored.Details.Metadata["mode"]);
        Assert.Equal("7", stored.Details.Metadata["seed"]);

        var events = await host.Events.WaitForAsync(e => e.Any(x => x.Type == JobEventTypes.Succeeded));
        Assert.Equal([JobEventTypes.Submitted, JobEventTypes.Succeeded], events.Select(e => e.Type));
        var succeeded = events[1];
        Assert.Equal($"{id}.succeeded", succeeded.Id);
        Assert.Equal($"videos/{id}", succeeded.Subject);
        var data = succeeded.Data!.ToObjectFromJson<System.Text.Json.Nodes.JsonObject>()!;
        Assert.Equal(falRequestId, data["fal_request_id"]!.GetValue<string>());
        Assert.Equal(emulated.LongLength, data["video"]!["size_bytes"]!.GetValue<long>());

        // The webhook did the work: one submit, no status or result calls.
        var calls = host.Fal.Recorder.CallsFor(falRequestId);
        Assert.Single(calls, c => c.Kind == CallKind.Submit);
        Assert.DoesNotContain(calls, c => c.Kind is CallKind.Status or CallKind.Result);
    }
}
