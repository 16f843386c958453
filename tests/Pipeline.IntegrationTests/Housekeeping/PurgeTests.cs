using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Core.Api;
using Pipeline.Core.Housekeeping;
using Pipeline.Core.Storage;
using Pipeline.IntegrationTests.Support;
using Pipeline.Core.Inbox;

namespace Pipeline.IntegrationTests.Housekeeping;

/// <summary>
/// The hourly purge on the production durable backend (Azure Storage on Azurite), run as if a month had passed:
/// finished, settled jobs lose their history, index entry and submit records; usage days go; running and unsettled
/// jobs, videos and the live cap documents stay; a second run finds nothing.
/// </summary>
public sealed class PurgeTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AMonthLater_FinishedJobsAndUsageGo_RunningAndUnsettledJobsAndVideosStay()
    {
        await using var host = await LocalHostInProcess.StartAsync("--Costs:MaxConcurrentJobs", "5");
        var finished = await SubmitAsync(host, "Done soon", "purge-key");
        var unsettled = await SubmitAsync(host, "Done, then reopened", null);
        var running = await SubmitAsync(host, "Still going [emulator: queue=600s]", null);
        Assert.Equal("succeeded", (await host.WaitForJobAsync(finished)).Status);
        Assert.Equal("succeeded", (await host.WaitForJobAsync(unsettled)).Status);
        // As if its settling had not run.
        await host.Services.GetRequiredService<OpenJobs>().TryAddAsync(unsettled, DateTimeOffset.UtcNow, null, Token);
        var video = host.Storage.Videos.GetBlobClient($"jobs/{finished}.mp4");
        Assert.True(await video.ExistsAsync(Token));
        Assert.NotEmpty(Blobs(host, $"submits/{finished}/"));
        Assert.NotEmpty(Blobs(host, "usage/20"));

        var purger = ActivatorUtilities.CreateInstance<JobPurger>(host.Services, new LaterClock(TimeSpan.FromDays(31)));
        var first = await purger.RunAsync(host.Client, Token);
        var second = await purger.RunAsync(host.Client, Token);

        Assert.Equal(new PurgeReport(1, 2, 1, true), first);
        Assert.Equal(new PurgeReport(0, 2, 0, true), second);
        Assert.Null(await host.Client.GetInstanceAsync(finished, Token));
        Assert.Empty(Blobs(host, $"submits/{finished}/"));
        Assert.DoesNotContain(Blobs(host, "index/"), name => name.EndsWith(finished, StringComparison.Ordinal));
        Assert.DoesNotContain(Blobs(host, "usage/"), name => name.StartsWith("usage/20", StringComparison.Ordinal));
        Assert.Contains("usage/slots.json", Blobs(host, "usage/")); // live: the concurrency cap's holders
        Assert.True(await video.ExistsAsync(Token)); // the product is never purged
        Assert.NotNull(await host.Client.GetInstanceAsync(running, Token));
        Assert.NotNull(await host.Client.GetInstanceAsync(unsettled, Token));
        Assert.NotEmpty(Blobs(host, $"submits/{running}/"));

        // Once settled, the other finished job goes too; the purged job's key is free again.
        await host.Services.GetRequiredService<OpenJobs>().CloseAsync(unsettled, Token);
        Assert.Equal(new PurgeReport(1, 1, 0, true), await purger.RunAsync(host.Client, Token));
        using var listing = await host.Http.GetFromJsonAsync<JsonDocument>("/api/videos", Token);
        Assert.Equal([running], listing!.RootElement.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetString()));
        // The same id, a new job.
        Assert.True(await SubmitAsync(host, "Done soon", "purge-key", created => Assert.True(created)) == finished);
    }

    private static async Task<string> SubmitAsync(LocalHostInProcess host, string prompt, string? key, Action<bool>? created = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/videos/text-to-video")
        {
            Content = JsonContent.Create(new { prompt, resolution = "480p", duration = "4" }),
        };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        using var response = await host.Http.SendAsync(request, Token);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = (await response.Content.ReadFromJsonAsync<JsonObject>(Token))!;
        created?.Invoke(answer["created"]!.GetValue<bool>());
        return answer["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task AMonthLater_APurgedBatchsJobsLeaveItsCounts_AndItsRecordGoesWithTheLast()
    {
        await using var host = await LocalHostInProcess.StartAsync();
        using var response = await host.Http.PostAsJsonAsync("/api/videos/text-to-video",
            new { prompt = "Two takes to purge", resolution = "480p", duration = "4", variants = 2 }, Token);
        var answer = (await response.Content.ReadFromJsonAsync<JsonObject>(Token))!;
        var batch = answer["batch_id"]!.GetValue<string>();
        foreach (var job in answer["jobs"]!.AsArray())
        {
            Assert.Equal("succeeded", (await host.WaitForJobAsync(job!["id"]!.GetValue<string>())).Status);
        }

        Assert.NotEmpty(Blobs(host, $"batches/{batch}/"));
        var purger = ActivatorUtilities.CreateInstance<JobPurger>(host.Services, new LaterClock(TimeSpan.FromDays(31)));
        await purger.RunAsync(host.Client, Token);

        Assert.Empty(Blobs(host, $"batches/{batch}/"));
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync($"/api/batches/{batch}", Token)).StatusCode);
    }

    [Fact]
    public async Task AMonthLater_AJobsCallbackOrchestrationGoesWithIt()
    {
        await using var host = await LocalHostInProcess.StartAsync(
            "--Callbacks:AllowHttp", "true",
            "--Callbacks:AllowPrivateTargets", "true",
            "--Callbacks:FirstRetryDelay", "00:00:00.100",
            "--Callbacks:RetryFor", "00:00:00.500");
        using var response = await host.Http.PostAsJsonAsync("/api/videos/text-to-video",
            new { prompt = "Called back", resolution = "480p", duration = "4", webhook_url = "http://127.0.0.1:9/nobody-listens" }, Token);
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>(Token))!["id"]!.GetValue<string>();
        Assert.Equal("succeeded", (await host.WaitForJobAsync(id)).Status);
        var callbacks = global::Pipeline.Core.Orchestrations.JobCallbacksOrchestrator.InstanceIdFor(id);
        var until = DateTimeOffset.UtcNow.AddSeconds(60);
        while ((await host.Client.GetInstanceAsync(callbacks, Token))?.IsCompleted != true)
        {
            Assert.True(DateTimeOffset.UtcNow < until, "the callbacks did not give up");
            await Task.Delay(200, Token);
        }

        var purger = ActivatorUtilities.CreateInstance<JobPurger>(host.Services, new LaterClock(TimeSpan.FromDays(31)));
        await purger.RunAsync(host.Client, Token);

        Assert.Null(await host.Client.GetInstanceAsync(id, Token));
        Assert.Null(await host.Client.GetInstanceAsync(callbacks, Token));
    }

    [Fact]
    public async Task AMonthLater_ADropStillInTheInboxKeepsItsJob_SoARescanStartsNothing_AndItGoesOnceTheDropIsGone()
    {
        await using var host = await LocalHostInProcess.StartAsync();
        var id = await host.DropAsync("kept/harbour.jpg", TestFiles.Jpeg);
        Assert.Equal("succeeded", (await host.WaitForJobAsync(id)).Status);
        var purger = ActivatorUtilities.CreateInstance<JobPurger>(host.Services, new LaterClock(TimeSpan.FromDays(31)));

        Assert.Equal(new PurgeReport(0, 1, 0, true), (await purger.RunAsync(host.Client, Token)) with { UsageDaysPurged = 0 });
        var submits = host.Fal.Recorder.Calls.Count(c => c.Kind == FalEmulator.Recording.CallKind.Submit);
        Assert.Equal(
            id,
            await host.Services.GetRequiredService<InboxJobStarter>()
                .StartAsync(host.Client, PipelineStorage.InboxContainerName, "kept/harbour.jpg", Token));
        await Task.Delay(1500, Token); // what the local host's scan does at every start
        Assert.Equal(submits, host.Fal.Recorder.Calls.Count(c => c.Kind == FalEmulator.Recording.CallKind.Submit));

        await host.Storage.Inbox.DeleteBlobAsync("kept/harbour.jpg", cancellationToken: Token);
        Assert.Equal(new PurgeReport(1, 0, 0, true), (await purger.RunAsync(host.Client, Token)) with { UsageDaysPurged = 0 });
        Assert.Null(await host.Client.GetInstanceAsync(id, Token));
    }

    private static List<string> Blobs(LocalHostInProcess host, string prefix) =>
        [
            .. host.Storage.Jobs
                .GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, Token)
                .Select(b => b.Name),
        ];

    private sealed class LaterClock(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + ahead;
    }
}
