using System.Net;
using System.Text.Json.Nodes;
using FalEmulator.Recording;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Pipeline.Core.Events;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Costs;

/// <summary>
/// The pipeline as a paid service, in the local world: a lost submit answer is billed once, caps hold under a burst,
/// cost and attribution reach the status API, the video's metadata and every event, outputs are purged at fal after
/// the copy, and the key never goes to a host fal's answer names unless it is fal's.
/// </summary>
public sealed class PaidServiceTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    [Fact]
    public async Task SubmitAnswerLost_TheJobWaitsForTheWebhookAndIsBilledOnce()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Pipeline:UnconfirmedSubmitWait"] = "00:00:30");
        var prompt = $"A lighthouse {Guid.NewGuid():N} [emulator: submit_lost=1]";

        var (_, accepted, _) = await host.SubmitAsync("text-to-video", new { prompt, resolution = "480p", duration = "4" });
        var job = await host.WaitForJobAsync(accepted["id"]!.GetValue<string>());

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        var billed = host.Fal.Requests.All.Where(r => r.Input?.Prompt.StartsWith(prompt[..44], StringComparison.Ordinal) == true).ToList();
        var request = Assert.Single(billed); // fal queued one request: the client did not send the submit again
        Assert.Equal([request.RequestId], job["fal_request_ids"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal(request.RequestId, job["fal_request_id"]!.GetValue<string>());
        Assert.True(await host.VideoBlob($"jobs/{job["id"]}.mp4").ExistsAsync(Token));
    }

    [Fact]
    public async Task SubmitAnswerLostAndNoWebhook_IsFoundInFalsRequestHistoryAndBilledOnce()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Pipeline:UnconfirmedSubmitWait"] = "00:00:20");
        var prompt = $"A harbour {Guid.NewGuid():N} [emulator: submit_lost=1, webhook=drop]";

        var (_, accepted, _) = await host.SubmitAsync("text-to-video", new { prompt, resolution = "480p", duration = "4" });
        var job = await host.WaitForJobAsync(accepted["id"]!.GetValue<string>());

        // Neither fal's answer nor its webhook came: its request history named the request, and the job adopted it.
        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        var billed = Assert.Single(host.Fal.Requests.All, r => r.Input?.Prompt.StartsWith(prompt[..42], StringComparison.Ordinal) == true);
        Assert.Equal([billed.RequestId], job["fal_request_ids"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Contains(host.Fal.Recorder.Calls, c => c.Kind == CallKind.ListRequests);
    }

    [Fact]
    public async Task SubmitAnswerLostNoWebhookAndTheHistoryUnreadable_IsSubmittedAgainAfterTheWait()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s =>
        {
            s["Pipeline:UnconfirmedSubmitWait"] = "00:00:02";
            s["Pipeline:FalUnavailableWait"] = "00:00:08"; // the history stays unreadable past both waits
        });
        host.Fal.SetHistoryOutage("on");
        var prompt = $"A quay {Guid.NewGuid():N} [emulator: submit_lost=1, webhook=drop]";

        var (_, accepted, _) = await host.SubmitAsync("text-to-video", new { prompt, resolution = "480p", duration = "4" });
        var job = await host.WaitForJobAsync(accepted["id"]!.GetValue<string>());

        // The documented limit: with no answer, no webhook and no history, the job kept asking fal's history for
        // FalUnavailableWait (not only UnconfirmedSubmitWait), then submitted again.
        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        var historyReads = host.Fal.Recorder.Calls.Count(c => c.Kind == CallKind.ListRequests);
        Assert.True(historyReads > 5, $"the history was read {historyReads} times");
        Assert.Single(job["fal_request_ids"]!.AsArray());
        Assert.Equal(2, host.Fal.Requests.All.Count(r => r.Input?.Prompt.StartsWith(prompt[..38], StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task DailyCapPerEndUser_HitMidway_FailsTheRestWithBudgetExceededAndSubmitsNothingMore()
    {
        // 480p × 4 s = $0.4304 a job; a cap of $1.00 admits two.
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Costs:PerUserDailyBudgetUsd"] = "1.00");
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];
        var outcomes = new List<JsonObject>();
        for (var i = 0; i < 2; i++)
        {
            var (status, accepted, _) = await host.SubmitAsync(
                "text-to-video",
                new { prompt = $"Capped {user} {i}", resolution = "480p", duration = "4", end_user_id = user });
            Assert.Equal(HttpStatusCode.Accepted, status);
            outcomes.Add(await host.WaitForJobAsync(accepted["id"]!.GetValue<string>()));
        }

        // The API refuses the third up front; inbox drops (which cannot be refused) fail with the reason and a marker.
        var (refused, problem, _) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = $"Capped {user} 2", resolution = "480p", duration = "4", end_user_id = user });
        var name = $"capped/{user}.jpg";
        var dropped = await host.DropAsync(name, TestFiles.Jpeg, new Dictionary<string, string>
        {
            ["end_user_id"] = user, ["resolution"] = "480p", ["duration"] = "4", ["prompt"] = "Capped drop",
        });
        var failed = await host.WaitForJobAsync(dropped!);

        Assert.All(outcomes, o => Assert.Equal("succeeded", o["status"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode)429, refused);
        Assert.Equal("budget_exceeded", problem["code"]!.GetValue<string>());
        Assert.Contains(user, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("budget_exceeded", failed["error"]!["code"]!.GetValue<string>());
        Assert.Equal(0m, failed["estimated_cost_usd"]!.GetValue<decimal>());
        Assert.True(await host.VideoBlob($"capped/{user}.error.json").ExistsAsync(Token));
        Assert.Equal(2, host.Fal.Requests.All.Count(r => r.Input?.EndUserId == user));

        using var usage = await host.Http.GetAsync($"/api/usage?date={DateTimeOffset.UtcNow:yyyy-MM-dd}", Token);
        var day = JsonNode.Parse(await usage.Content.ReadAsStringAsync(Token))!;
        Assert.Equal(2, day["by_end_user"]![user]!["jobs"]!.GetValue<int>());
        Assert.Equal(8, day["by_end_user"]![user]!["video_seconds"]!.GetValue<int>());
        Assert.Equal(0.8608m, day["by_end_user"]![user]!["estimated_cost_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Attribution_ReachesTheStatusTheVideosMetadataAndEveryEvent()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];

        var (_, accepted, _) = await host.SubmitAsync("text-to-video", new
        {
            prompt = "A kite over the dunes", resolution = "720p", duration = "5", end_user_id = user,
            correlation = new { order = "A-42", campaign = "summer sale" },
        });
        var id = accepted["id"]!.GetValue<string>();
        var job = await host.WaitForJobAsync(id);

        Assert.Equal(user, job["end_user_id"]!.GetValue<string>());
        Assert.Equal("A-42", job["correlation"]!["order"]!.GetValue<string>());
        Assert.Equal(5, job["video_seconds"]!.GetValue<int>());
        Assert.Equal(1.2095m, job["estimated_cost_usd"]!.GetValue<decimal>());
        var metadata = (await host.VideoBlob($"jobs/{id}.mp4").GetPropertiesAsync(cancellationToken: Token)).Value.Metadata;
        Assert.Equal(user, metadata["end_user_id"]);
        Assert.Equal("summer%20sale", metadata["correlation_campaign"]);
        var events = await host.Events.WaitForAsync(e => e.Any(x =>
            x.Type == JobEventTypes.Succeeded && x.Id.StartsWith(id, StringComparison.Ordinal)));
        foreach (var e in events.Where(x => x.Id.StartsWith(id, StringComparison.Ordinal)))
        {
            var data = e.Data!.ToObjectFromJson<JsonObject>()!;
            Assert.Equal(user, data["end_user_id"]!.GetValue<string>());
            Assert.Equal("A-42", data["correlation"]!["order"]!.GetValue<string>());
            Assert.Equal(5, data["video_seconds"]!.GetValue<int>());
            Assert.Equal(1.2095m, data["estimated_cost_usd"]!.GetValue<decimal>());
        }
    }

    [Fact]
    public async Task InboxDrop_CarriesTheCorrelationOfItsSidecarAndMetadata()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = "attributed-" + Guid.NewGuid().ToString("N")[..8];
        await host.Storage.Inbox.GetBlobClient($"{folder}/a.json").UploadAsync(
            TestFiles.Json(new { prompt = "Sidecar prompt", resolution = "480p", duration = "4", correlation = new { batch = "b-7" } }),
            Token);
        var fromSidecar = await host.DropAsync($"{folder}/a.jpg", TestFiles.Jpeg);
        var fromMetadata = await host.DropAsync(
            $"{folder}/b.jpg",
            TestFiles.Jpeg,
            new Dictionary<string, string> { ["correlation_batch"] = "b-8", ["resolution"] = "480p", ["duration"] = "4" });

        var a = await host.WaitForJobAsync(fromSidecar!);
        var b = await host.WaitForJobAsync(fromMetadata!);

        Assert.Equal("b-7", a["correlation"]!["batch"]!.GetValue<string>());
        Assert.Equal("b-8", b["correlation"]!["batch"]!.GetValue<string>());
        Assert.Equal(
            "b-8",
            (await host.VideoBlob($"{folder}/b.mp4").GetPropertiesAsync(cancellationToken: Token)).Value.Metadata["correlation_batch"]);
    }

    [Fact]
    public async Task WithAnAdminKey_PayloadsAreDeletedAtFalAfterTheCopyAndNeverBefore()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s =>
        {
            s["FAL_ADMIN_KEY"] = "emulator-admin-id:emulator-admin-secret";
            s["Fal:OutputRetention"] = "03:00:00";
        });

        var (_, accepted, _) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = "A purged lighthouse", resolution = "480p", duration = "4" });
        var job = await host.WaitForJobAsync(accepted["id"]!.GetValue<string>());

        var request = host.Fal.Requests.Find(job["fal_request_id"]!.GetValue<string>())!;
        Assert.Equal(TimeSpan.FromHours(3), request.OutputLifetime); // asked at submit: outlasts the job's deadline
        Assert.NotNull(request.PayloadsDeletedAt);
        var calls = host.Fal.Recorder.CallsFor(request.RequestId);
        var copied = calls.Last(c => c.Kind == CallKind.File && c.StatusCode == 200).At;
        var deleted = Assert.Single(calls, c => c.Kind == CallKind.DeletePayloads).At;
        Assert.True(deleted > copied, "deleted only after the video was copied");
        using var download = new HttpClient();
        using var gone = await download.GetAsync($"{host.Fal.BaseAddress}files/{request.RequestId}/output.mp4", Token);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.True(await host.VideoBlob($"jobs/{job["id"]}.mp4").ExistsAsync(Token));
    }

    [Fact]
    public async Task ForeignHostInFalsAnswer_IsNeverSentTheKey()
    {
        var decoyCalls = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var decoy = builder.Build();
        decoy.Run(http =>
        {
            Interlocked.Increment(ref decoyCalls);
            return http.Response.WriteAsync("{}", Token);
        });
        await decoy.StartAsync(Token);
        var port = new Uri(decoy.Urls.First()).Port;
        await using var host = await PipelineTestHost.StartAsync(azurite, s =>
        {
            s["Pipeline:WebhookWait"] = "00:00:00.500";
            s["Pipeline:PollInterval"] = "00:00:00.500";
            s["Pipeline:JobDeadline"] = "00:00:04";
        });

        // fal's answer names "localhost:{decoy}" for status, result and cancel: not fal's host (127.0.0.1 here).
        var (_, accepted, _) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = $"Forged [emulator: answer_host=localhost:{port}, webhook=drop]", resolution = "480p", duration = "4" });
        var job = await host.WaitForJobAsync(accepted["id"]!.GetValue<string>());

        Assert.Equal("failed", job["status"]!.GetValue<string>());
        Assert.Equal(0, decoyCalls);
    }
}
