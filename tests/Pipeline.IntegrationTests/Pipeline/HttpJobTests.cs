using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Sas;
using FalEmulator.Recording;
using Pipeline.Core.Events;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Pipeline;

/// <summary>Jobs through the HTTP API, end to end: emulator, in-process Durable Task engine, Azurite, Event Grid sink.</summary>
public sealed class HttpJobTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    [Fact]
    public async Task TextToVideo_ThroughTheApi_StoresTheEmulatorsMp4ByteForByteAndPublishesEvents()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (status, accepted, response) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = "A lighthouse at dusk", resolution = "480p", duration = "4", seed = 7 });

        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = accepted["id"]!.GetValue<string>();
        Assert.Equal(response.Headers.Location!.ToString(), accepted["status_url"]!.GetValue<string>());
        var job = await host.WaitForJobAsync(id);
        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        Assert.Equal("text-to-video", job["mode"]!.GetValue<string>());
        Assert.Equal(7, job["seed"]!.GetValue<long>());
        Assert.Null(job["error"]);
        var falRequestId = job["fal_request_id"]!.GetValue<string>();
        var video = job["video"]!;
        Assert.Equal("video/mp4", video["content_type"]!.GetValue<string>());
        Assert.Equal($"videos/jobs/{id}.mp4", video["blob"]!.GetValue<string>());
        Assert.Contains("sig=", video["url"]!.GetValue<string>(), StringComparison.Ordinal); // a read SAS, downloadable as is

        var stored = (await host.VideoBlob($"jobs/{id}.mp4").DownloadContentAsync(Token)).Value;
        var emulated = await File.ReadAllBytesAsync(host.Fal.Requests.Find(falRequestId)!.VideoPath!, Token);
        Assert.Equal(emulated, stored.Content.ToArray());
        Assert.Equal("video/mp4", stored.Details.ContentType);
        Assert.Equal(video["size_bytes"]!.GetValue<long>(), emulated.LongLength);
        Assert.Equal(falRequestId, stored.Details.Metadata["fal_request_id"]);
        Assert.Equal("text-to-video", stored.Details.Metadata["mode"]);
        Assert.Equal("7", stored.Details.Metadata["seed"]);
        Assert.Equal("http", stored.Details.Metadata["source"]);
        using var download = new HttpClient();
        Assert.Equal(emulated, await download.GetByteArrayAsync(video["url"]!.GetValue<string>(), Token));

        var events = await host.Events.WaitForAsync(e => e.Any(x => x.Type == JobEventTypes.Succeeded));
        Assert.Equal([JobEventTypes.Submitted, JobEventTypes.Succeeded], events.Select(e => e.Type));
        var succeeded = events[1];
        Assert.Equal($"{id}.succeeded", succeeded.Id);
        Assert.Equal($"videos/{id}", succeeded.Subject);
        Assert.Equal("/video-pipeline", succeeded.Source);
        var data = succeeded.Data!.ToObjectFromJson<JsonObject>()!;
        Assert.Equal(id, data["id"]!.GetValue<string>());
        Assert.Equal("text-to-video", data["mode"]!.GetValue<string>());
        Assert.Equal(falRequestId, data["fal_request_id"]!.GetValue<string>());
        Assert.Equal(emulated.LongLength, data["video"]!["size_bytes"]!.GetValue<long>());
        Assert.NotNull(data["timings"]!["fal_completed_at"]);

        // The webhook did the work: one submit, no status or result calls.
        var calls = host.Fal.Recorder.CallsFor(falRequestId);
        Assert.Single(calls, c => c.Kind == CallKind.Submit);
        Assert.DoesNotContain(calls, c => c.Kind is CallKind.Status or CallKind.Result);
    }

    [Fact]
    public async Task ImageToVideo_WithAnImageUrl_Succeeds()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var imageUrl = await UploadAndSignAsync(host, "inputs/" + Guid.NewGuid() + ".jpg", TestFiles.Jpeg);

        var (status, accepted, _) = await host.SubmitAsync(
            "image-to-video",
            new { prompt = "Slow zoom", image_url = imageUrl, resolution = "480p", duration = "4" });
        var job = await host.WaitForJobAsync(accepted["id"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        Assert.Equal("image-to-video", job["mode"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReferenceToVideo_WithImageUrls_Succeeds()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var first = await UploadAndSignAsync(host, "inputs/" + Guid.NewGuid() + ".jpg", TestFiles.Jpeg);
        var second = await UploadAndSignAsync(host, "inputs/" + Guid.NewGuid() + ".png", TestFiles.Png);

        var (_, accepted, _) = await host.SubmitAsync(
            "reference-to-video",
            new
            {
                prompt = "@Image1 meets @Image2",
                image_urls = new[] { first, second },
                resolution = "480p",
                duration = "4",
                generate_audio = false,
            });
        var job = await host.WaitForJobAsync(accepted["id"]!.GetValue<string>());

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        Assert.Equal("reference-to-video", job["mode"]!.GetValue<string>());
    }

    [Fact]
    public async Task Submit_InvalidRequest_Answers400WithEveryProblemByFieldAndSubmitsNothing()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (status, problem, response) = await host.SubmitAsync(
            "reference-to-video",
            new
            {
                prompt = "@Image3 dances",
                resolution = "1080p",
                image_urls = new[] { "https://example.com/a.png", "not a url" },
                audio_urls = new[] { "https://example.com/a.mp3" },
                image_url = "https://example.com/x.png",
            });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var errors = problem["errors"]!.AsObject();
        Assert.Equal(["image_url", "image_urls[1]", "prompt", "resolution"], errors.Select(e => e.Key).Order());
        Assert.Contains("480p, 720p", errors["resolution"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(host.Fal.Recorder.Calls);
    }

    [Fact]
    public async Task Submit_UnknownMode_Answers404()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (status, _, _) = await host.SubmitAsync("sound-to-video", new { prompt = "x" });

        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Get_UnknownJob_Answers404()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        using var missing = await host.Http.GetAsync("/api/videos/api-0123456789abcdef0123456789abcdef", Token);
        using var stranger = await host.Http.GetAsync("/api/videos/..%2Fsomething", Token);

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
    }

    [Fact]
    public async Task Submit_SameIdempotencyKeyTwice_IsOneJobAndOneFalSubmission()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var body = new { prompt = "Once only", resolution = "480p", duration = "4" };

        var first = await host.SubmitAsync("text-to-video", body, idempotencyKey: "order-42");
        var second = await host.SubmitAsync("text-to-video", body, idempotencyKey: "order-42");
        var id = first.Body["id"]!.GetValue<string>();
        await host.WaitForJobAsync(id);
        var third = await host.SubmitAsync("text-to-video", body, idempotencyKey: "order-42");

        Assert.Equal(id, second.Body["id"]!.GetValue<string>());
        Assert.Equal(id, third.Body["id"]!.GetValue<string>());
        Assert.True(first.Body["created"]!.GetValue<bool>());
        Assert.False(third.Body["created"]!.GetValue<bool>());
        Assert.Single(host.Fal.Recorder.Calls, c => c.Kind == CallKind.Submit);
    }

    [Fact]
    public async Task WebhookDropped_ThePollingFallbackCompletesTheJob()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (_, accepted, _) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = "No webhook [emulator: webhook=drop]", resolution = "480p", duration = "4" });
        var job = await host.WaitForJobAsync(accepted["id"]!.GetValue<string>());

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        var calls = host.Fal.Recorder.CallsFor(job["fal_request_id"]!.GetValue<string>());
        Assert.Single(calls, c => c.Kind == CallKind.Submit);
        Assert.Contains(calls, c => c.Kind == CallKind.Status);
        Assert.Single(calls, c => c.Kind == CallKind.Result);
        Assert.Equal("dropped", Assert.Single(host.Fal.Recorder.Deliveries).Outcome);
    }

    [Fact]
    public async Task WebhookDuplicated_TheJobEndsOnceWithOneVideoAndOneTerminalEvent()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (_, accepted, _) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = "Twice [emulator: webhook_duplicates=3]", resolution = "480p", duration = "4" });
        var id = accepted["id"]!.GetValue<string>();
        var job = await host.WaitForJobAsync(id);
        await Task.Delay(1000, Token); // let the late copies arrive

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        Assert.Equal(4, host.Fal.Recorder.Deliveries.Count(d => d.Outcome == "delivered"));
        Assert.Single(host.Events.Events, e => e.Type == JobEventTypes.Succeeded);
        Assert.Equal("succeeded", (await host.GetJobAsync(id))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task FalError_FailsTheJobWithFalsReasonAndAFailedEvent()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (_, accepted, _) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = "Doomed [emulator: result=error:422]", resolution = "480p", duration = "4" });
        var id = accepted["id"]!.GetValue<string>();
        var job = await host.WaitForJobAsync(id);

        Assert.Equal("failed", job["status"]!.GetValue<string>());
        Assert.Equal("fal_error", job["error"]!["code"]!.GetValue<string>());
        Assert.Contains("422", job["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var failed = await host.Events.WaitForAsync(e => e.Any(x => x.Type == JobEventTypes.Failed));
        Assert.DoesNotContain(failed, e => e.Type == JobEventTypes.Succeeded);
        Assert.False(await host.VideoBlob($"jobs/{id}.mp4").ExistsAsync(Token));
    }

    [Fact]
    public async Task Cancel_ARunningJob_CancelsAtFalAndEndsCancelled()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var (_, accepted, _) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = "Long one [emulator: run=1000s]", resolution = "480p", duration = "4" });
        var id = accepted["id"]!.GetValue<string>();
        await WaitUntilAsync(async () => (await host.GetJobAsync(id))["fal_request_id"] is not null);

        using var cancel = await host.Http.DeleteAsync($"/api/videos/{id}", Token);
        var job = await host.WaitForJobAsync(id);
        using var again = await host.Http.DeleteAsync($"/api/videos/{id}", Token);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal("cancelled", job["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Single(host.Fal.Recorder.CallsFor(job["fal_request_id"]!.GetValue<string>()), c => c.Kind == CallKind.Cancel);
        await host.Events.WaitForAsync(e => e.Any(x => x.Type == JobEventTypes.Cancelled));
    }

    [Fact]
    public async Task Deadline_FalTooSlow_CancelsAtFalAndFailsWithDeadlineExceeded()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Pipeline:JobDeadline"] = "00:00:03");

        var (_, accepted, _) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = "Too slow [emulator: run=1000s]", resolution = "480p", duration = "4" });
        var job = await host.WaitForJobAsync(accepted["id"]!.GetValue<string>());

        Assert.Equal("failed", job["status"]!.GetValue<string>());
        Assert.Equal("deadline_exceeded", job["error"]!["code"]!.GetValue<string>());
        Assert.Single(host.Fal.Recorder.CallsFor(job["fal_request_id"]!.GetValue<string>()), c => c.Kind == CallKind.Cancel);
    }

    [Fact]
    public async Task Webhook_ForAnUnknownJobOrForeignRequest_IsAcknowledgedAndChangesNothing()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var (_, accepted, _) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = "Slow [emulator: run=1000s]", resolution = "480p", duration = "4" });
        var id = accepted["id"]!.GetValue<string>();
        await WaitUntilAsync(async () => (await host.GetJobAsync(id))["fal_request_id"] is not null);
        var body = PipelineTestHost.OkWebhookBody("someone-else", "http://127.0.0.1:1/x.mp4");

        // Signed by fal, but for a request this job never submitted (a delivery replayed from another request).
        using var foreign = await host.PostWebhookAsync(id, "someone-else", body);
        using var unknown = await host.PostWebhookAsync("api-00000000000000000000000000000000", "someone-else", body);
        using var garbage = await host.PostWebhookAsync(id, "someone-else", "nope");
        await Task.Delay(500, Token);

        Assert.Equal(HttpStatusCode.OK, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        Assert.Equal("queued", (await host.GetJobAsync(id))["status"]!.GetValue<string>());
    }

    private static async Task<string> UploadAndSignAsync(PipelineTestHost host, string name, BinaryData content)
    {
        var container = host.Storage.Service.GetBlobContainerClient("test-inputs");
        await container.CreateIfNotExistsAsync(cancellationToken: Token);
        var blob = container.GetBlobClient(name);
        await blob.UploadAsync(content, Token);
        return blob.GenerateSasUri(BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1)).ToString();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < until, "condition not met within 30 s");
            await Task.Delay(50, Token);
        }
    }
}
