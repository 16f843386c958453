using System.Net;
using System.Text.Json.Nodes;
using FalEmulator.Recording;
using Pipeline.Core.Events;
using Pipeline.Core.Storage;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Hardening;

/// <summary>
/// Every fault the emulator can produce, end to end: each job still ends exactly once (one video or one failure, one
/// terminal event), and fal sees exactly the calls the fault explains.
/// </summary>
public sealed class FaultInjectionTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    private static object Job(string prompt) => new { prompt, resolution = "480p", duration = "4" };

    private static async Task<(string Id, JsonObject Job)> RunAsync(PipelineTestHost host, string prompt, TimeSpan? timeout = null)
    {
        var (status, accepted, _) = await host.SubmitAsync("text-to-video", Job(prompt));
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = accepted["id"]!.GetValue<string>();
        return (id, await host.WaitForJobAsync(id, timeout));
    }

    private static void AssertOneTerminalEvent(PipelineTestHost host, string id, string type)
    {
        var terminal = host.Events.Events
            .Where(e => e.Type != JobEventTypes.Submitted && e.Id.StartsWith(id + ".", StringComparison.Ordinal))
            .ToList();
        Assert.Equal([type], terminal.Select(e => e.Type).Distinct());
        Assert.Single(terminal.Select(e => e.Id).Distinct());
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTimeOffset.UtcNow < until, $"{what} within 30 s");
            await Task.Delay(100, Token);
        }
    }

    [Fact]
    public async Task WebhookDelayedPastThePoll_ThePollFinishesTheJobAndTheLateWebhookChangesNothing()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (id, job) = await RunAsync(host, "Late webhook [emulator: webhook_delay=300s]"); // 6 s; the first poll comes at 3 s
        await WaitUntilAsync(() => host.Fal.Recorder.Deliveries.Any(d => d.Outcome == "delivered"), "the late webhook arrives");
        await Task.Delay(500, Token);

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        Assert.Equal("succeeded", (await host.GetJobAsync(id))["status"]!.GetValue<string>());
        var calls = host.Fal.Recorder.CallsFor(job["fal_request_id"]!.GetValue<string>());
        Assert.Single(calls, c => c.Kind == CallKind.Submit);
        Assert.Single(calls, c => c.Kind == CallKind.Result);
        await host.Events.WaitForAsync(e => e.Any(x => x.Type == JobEventTypes.Succeeded));
        AssertOneTerminalEvent(host, id, JobEventTypes.Succeeded);
    }

    [Fact]
    public async Task WebhookWronglySigned_IsRefusedWith401AndThePollFinishesTheJob()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (id, job) = await RunAsync(host, "Forged [emulator: webhook=bad-signature]");

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        Assert.Contains(host.Fal.Recorder.Deliveries, d => d.StatusCode == 401);
        Assert.DoesNotContain(host.Fal.Recorder.Deliveries, d => d.Outcome == "delivered");
        Assert.Contains(host.Fal.Recorder.CallsFor(job["fal_request_id"]!.GetValue<string>()), c => c.Kind == CallKind.Status);
        await host.Events.WaitForAsync(e => e.Any(x => x.Type == JobEventTypes.Succeeded));
        AssertOneTerminalEvent(host, id, JobEventTypes.Succeeded);
    }

    [Fact]
    public async Task WebhookUnsignedOrStale_IsRefusedWith401AndChangesNothing()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var (_, accepted, _) = await host.SubmitAsync("text-to-video", Job("Waiting [emulator: run=1000s]"));
        var id = accepted["id"]!.GetValue<string>();
        string? falRequestId = null;
        await WaitUntilAsync(
            () => (falRequestId = host.GetJobAsync(id).GetAwaiter().GetResult()["fal_request_id"]?.GetValue<string>()) is not null,
            "submitted");
        var forged = PipelineTestHost.OkWebhookBody(falRequestId!, host.Fal.BaseAddress + "/files/x/output.mp4");

        using var unsigned = await host.PostWebhookAsync(id, falRequestId!, forged, sign: false);
        using var stale = await host.PostWebhookAsync(id, falRequestId!, forged, signedAt: DateTimeOffset.UtcNow.AddMinutes(-10));
        await Task.Delay(500, Token);

        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Equal("queued", (await host.GetJobAsync(id))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Submit429ThreeTimes_IsRetriedAndTheJobSucceedsWithOneAcceptedSubmission()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        // One try per step, on durable waits 5, 10 and 20 s apart.
        var (id, job) = await RunAsync(host, "Busy fal [emulator: submit_429=3]", TimeSpan.FromSeconds(90));

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        Assert.Equal(4, host.Fal.Recorder.Calls.Count(c => c.Kind == CallKind.Submit));
        Assert.Single(host.Fal.Requests.All);
        await host.Events.WaitForAsync(e => e.Any(x => x.Type == JobEventTypes.Succeeded));
        AssertOneTerminalEvent(host, id, JobEventTypes.Succeeded);
    }

    [Fact]
    public async Task Submit500Forever_WaitsForFalThenFailsTheJobWithNothingAccepted()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Pipeline:FalUnavailableWait"] = "00:00:12");

        var (id, job) = await RunAsync(host, "Broken fal [emulator: submit_500=100]");

        Assert.Equal("failed", job["status"]!.GetValue<string>());
        Assert.Equal("fal_unavailable", job["error"]!["code"]!.GetValue<string>());
        var submits = host.Fal.Recorder.Calls.Count(c => c.Kind == CallKind.Submit);
        // One try per step (version 3 never retries inside a step, where a crash would leave its claim open), 5 s, then
        // 10 s apart: the third would come after the 12 s wait.
        Assert.Equal(2, submits);
        Assert.Empty(host.Fal.Requests.All); // nothing was accepted, so nothing was billed
        await host.Events.WaitForAsync(e => e.Any(x => x.Type == JobEventTypes.Failed));
        AssertOneTerminalEvent(host, id, JobEventTypes.Failed);
    }

    [Fact]
    public async Task ResultFileGone_FailsTheInboxJobWithAnErrorMarker()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = "f" + Guid.NewGuid().ToString("N")[..10];
        await host.Storage.Inbox.GetBlobClient($"{folder}/gone.json").UploadAsync(
            TestFiles.Json(new { prompt = "Expired [emulator: file=gone]", duration = "4" }),
            Token);

        var id = await host.DropAsync($"{folder}/gone.jpg", TestFiles.Jpeg);
        var job = await host.WaitForJobAsync(id!);

        Assert.Equal("failed", job["status"]!.GetValue<string>());
        Assert.Equal("video_unavailable", job["error"]!["code"]!.GetValue<string>());
        Assert.Contains("404", job["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(await host.VideoBlob($"{folder}/gone.mp4").ExistsAsync(Token));
        Assert.True(await host.VideoBlob($"{folder}/gone{VideoStore.ErrorMarkerSuffix}").ExistsAsync(Token));
        await host.Events.WaitForAsync(e => e.Any(x => x.Type == JobEventTypes.Failed));
        AssertOneTerminalEvent(host, id!, JobEventTypes.Failed);
    }

    [Fact]
    public async Task TruncatedVideo_IsRetriedUntilFalNoLongerHasItAndNeverStoredHalf()
    {
        // fal keeps the file a minute of fal's time (a second here: the emulator's time runs 50 times faster).
        await using var host = await PipelineTestHost.StartAsync(azurite, s =>
        {
            s["Pipeline:JobDeadline"] = "00:00:30";
            s["Fal:OutputRetention"] = "00:01:00";
        });

        var (id, job) = await RunAsync(host, "Cut short [emulator: file=truncated]", TimeSpan.FromSeconds(120));

        Assert.Equal("failed", job["status"]!.GetValue<string>());
        Assert.Equal("video_unavailable", job["error"]!["code"]!.GetValue<string>());
        Assert.Contains("404", job["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal); // only fal's "gone" ends it
        Assert.False(await host.VideoBlob($"jobs/{id}.mp4").ExistsAsync(Token));
        var files = host.Fal.Recorder.CallsFor(job["fal_request_id"]!.GetValue<string>()).Where(c => c.Kind == CallKind.File).ToList();
        Assert.True(files.Count >= 2, $"{files.Count} downloads"); // a transfer cut short is tried again
        Assert.Equal(404, files[^1].StatusCode);
    }

    [Fact]
    public async Task VideoUrlOutsideTheAllowList_IsNeverFetchedAndFailsTheJob()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var (_, accepted, _) = await host.SubmitAsync("text-to-video", Job("Hijacked [emulator: run=1000s]"));
        var id = accepted["id"]!.GetValue<string>();
        string? falRequestId = null;
        await WaitUntilAsync(
            () => (falRequestId = host.GetJobAsync(id).GetAwaiter().GetResult()["fal_request_id"]?.GetValue<string>()) is not null,
            "submitted");

        // A correctly signed delivery (a leaked key, or fal itself compromised) pointing at the cloud metadata endpoint.
        using var delivery = await host.PostWebhookAsync(
            id,
            falRequestId!,
            PipelineTestHost.OkWebhookBody(falRequestId!, "http://169.254.169.254/latest/meta-data"));
        var job = await host.WaitForJobAsync(id, TimeSpan.FromSeconds(15));

        Assert.Equal(HttpStatusCode.OK, delivery.StatusCode);
        Assert.Equal("failed", job["status"]!.GetValue<string>());
        Assert.Equal("video_unavailable", job["error"]!["code"]!.GetValue<string>());
        Assert.Contains("refused", job["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonImageAndOversizedDrops_FailBeforeSubmittingWithTheReason()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = "f" + Guid.NewGuid().ToString("N")[..10];
        var oversized = new byte[(30 * 1024 * 1024) + 1];
        TestFiles.Jpeg.ToArray().AsSpan(0, 16).CopyTo(oversized); // a JPEG's header, then far too many bytes

        var textId = await host.DropAsync($"{folder}/notes.jpg", BinaryData.FromString("this is not a picture"));
        var bigId = await host.DropAsync($"{folder}/huge.jpg", BinaryData.FromBytes(oversized));
        var text = await host.WaitForJobAsync(textId!);
        var big = await host.WaitForJobAsync(bigId!);

        Assert.Equal("invalid_request", text["error"]!["code"]!.GetValue<string>());
        Assert.Contains("not a JPEG, PNG, WebP or HEIC", text["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("invalid_request", big["error"]!["code"]!.GetValue<string>());
        Assert.Contains("30 MB", big["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(await host.VideoBlob($"{folder}/notes{VideoStore.ErrorMarkerSuffix}").ExistsAsync(Token));
        Assert.DoesNotContain(host.Fal.Recorder.Calls, c => c.Kind == CallKind.Submit);
    }
}
