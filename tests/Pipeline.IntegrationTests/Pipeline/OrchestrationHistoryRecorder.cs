using System.Text.Json.Nodes;
using Microsoft.DurableTask.Worker.Grpc;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Pipeline;

/// <summary>
/// Jobs stopped at each place a job waits (for the webhook, a sidecar, a slot, a lost submit's webhook, a poll, a video
/// copy), recorded as the worker saw them: every episode replays to the same decisions (the orchestrator is
/// deterministic). With <c>RECORD_HISTORIES=v3</c> (the version's folder) the histories are also saved as the unit
/// tests' fixtures: record them before an orchestration change, and the next version must replay what this one
/// recorded (<c>VersionReplayTests</c>).
/// </summary>
public sealed class OrchestrationHistoryRecorder(AzuriteFixture azurite)
{
    [Fact]
    public async Task JobsAtEveryWait_ReplayEveryEpisodeToTheSameDecisions()
    {
        string? folder = null;
        if (Environment.GetEnvironmentVariable("RECORD_HISTORIES") is { Length: > 0 } version)
        {
            folder = Path.Combine(
                AzuriteFixture.FindRepositoryRoot(), "tests", "Pipeline.UnitTests", "Orchestrations", "Histories", version);
            Directory.CreateDirectory(folder);
        }

        var recorder = new WorkItemRecorder();
        await using (var host = await StartAsync(recorder, s =>
               {
                   s["Pipeline:WebhookWait"] = "00:10:00";
                   s["Pipeline:SidecarGrace"] = "00:10:00";
                   s["Pipeline:UnconfirmedSubmitWait"] = "00:10:00";
               }))
        {
            var waiting = await SubmitAsync(host, "Waits for the webhook [emulator: run=600s]");
            await UntilStageAsync(host, waiting, "queued_at_fal", "running_at_fal");
            Save(folder, "http-waiting-for-webhook", "an HTTP job submitted to fal, waiting for the webhook", recorder, waiting);

            var lost = await SubmitAsync(host, "Its submit answer is lost [emulator: submit_lost=1, run=600s]");
            await UntilStageAsync(host, lost, "confirming_submit");
            Save(
                folder,
                "http-confirming-lost-submit",
                "an HTTP job whose submit answer was lost, waiting for a webhook that names it",
                recorder,
                lost);

            var storing = await SubmitAsync(host, "Its video copies slowly [emulator: queue=0s, run=0s, file=slow:600s]");
            await UntilStageAsync(host, storing, "storing_video");
            Save(folder, "http-storing-video", "an HTTP job whose video is being copied", recorder, storing);

            // An image waits for its sidecar in a folder where sidecars are dropped.
            var inboxFolder = "waits" + Guid.NewGuid().ToString("N")[..8];
            await host.DropAsync($"{inboxFolder}/other.json", TestFiles.Json(new { prompt = "marks the folder" }));
            var dropped = (await host.DropAsync($"{inboxFolder}/photo.jpg", TestFiles.Jpeg))!;
            await UntilStageAsync(host, dropped, "preparing");
            Save(folder, "inbox-image-in-sidecar-grace", "an inbox image waiting the sidecar grace", recorder, dropped);
        }

        recorder = new WorkItemRecorder();
        await using (var host = await StartAsync(recorder, s =>
               {
                   s["Pipeline:WebhookWait"] = "00:00:01";
                   s["Pipeline:PollInterval"] = "00:10:00";
               }))
        {
            var polled = await SubmitAsync(host, "Never gets its webhook [emulator: webhook=drop, run=600s]");
            await UntilAsync(() => recorder.EpisodesOf(polled).Any(e => e.Request.NewEvents.Any(n => n.TaskCompleted is not null)
                && e.Request.PastEvents
                    .Concat(e.Request.NewEvents)
                    .Count(n => n.TaskScheduled?.Name == global::Pipeline.Core.Steps.JobSteps.Poll) == 1));
            await Task.Delay(1000, TestContext.Current.CancellationToken);
            Save(folder, "http-polling", "an HTTP job whose webhook never came, after its first poll", recorder, polled);
        }

        // Its own Azurite: the slots are the app's, and other tests' hosts take them too.
        await using var ownAzurite = new AzuriteFixture();
        await ownAzurite.InitializeAsync();
        recorder = new WorkItemRecorder();
        await using (var host = await StartAsync(recorder, s =>
               {
                   s["Pipeline:WebhookWait"] = "00:10:00";
                   s["Costs:MaxConcurrentJobs"] = "1";
                   s["Costs:SlotRetryInterval"] = "00:10:00";
               }, ownAzurite))
        {
            var holder = await SubmitAsync(host, "Holds the only slot [emulator: run=600s]");
            await UntilStageAsync(host, holder, "queued_at_fal", "running_at_fal");
            var waiter = await SubmitAsync(host, "Waits for the slot");
            await UntilStageAsync(host, waiter, "waiting_for_slot");
            Save(folder, "http-waiting-for-slot", "an HTTP job waiting for a concurrency slot", recorder, waiter);
        }
    }

    private Task<PipelineTestHost> StartAsync(
        WorkItemRecorder recorder, Action<Dictionary<string, string?>> settings, AzuriteFixture? storage = null) =>
        PipelineTestHost.StartAsync(storage ?? azurite, s =>
        {
            s["Pipeline:JobDeadline"] = "00:30:00";
            settings(s);
        }, services: services => services.PostConfigureAll<GrpcDurableTaskWorkerOptions>(o => o.Interceptors.Add(recorder)));

    private static async Task<string> SubmitAsync(PipelineTestHost host, string prompt)
    {
        var (status, body, _) = await host.SubmitAsync("text-to-video", new { prompt, resolution = "480p", duration = "4" });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, status);
        return body["id"]!.GetValue<string>();
    }

    private static Task UntilStageAsync(PipelineTestHost host, string id, params string[] stages) =>
        UntilAsync(async () => (await host.GetJobAsync(id))["stage"]?.GetValue<string>() is { } stage && stages.Contains(stage));

    private static Task UntilAsync(Func<bool> condition) => UntilAsync(() => Task.FromResult(condition()));

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < until, "the job did not reach the stage within 60 s");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        await Task.Delay(300, TestContext.Current.CancellationToken); // the episode that set the stage is recorded
    }

    /// <summary>Replays each of the instance's episodes and checks the decisions; saves its history when recording.</summary>
    private static void Save(string? folder, string name, string description, WorkItemRecorder recorder, string instanceId)
    {
        var episodes = recorder.EpisodesOf(instanceId);
        Assert.NotEmpty(episodes);
        foreach (var episode in episodes)
        {
            Assert.Equal(
                WorkItemRecorder.Decisions(episode.Response),
                WorkItemRecorder.Decisions(WorkItemRecorder.Replay(episode.Request)));
        }

        if (folder is not null)
        {
            File.WriteAllText(Path.Combine(folder, name + ".json"), recorder.ToFixture(description, instanceId));
        }
    }
}
