using System.Text.Json;
using Pipeline.Core.Activities;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;

namespace Pipeline.UnitTests.Orchestrations;

/// <summary>
/// Jobs in flight when a new version is deployed: histories recorded from each version of the orchestrator
/// (<c>Histories/v1</c>, unversioned, and <c>Histories/v2</c>, recorded by <c>OrchestrationHistoryRecorder</c> at every
/// place a job waits) are replayed by today's orchestrator, which must take up each job where it stopped and finish it
/// with one outcome.
/// Durable replays history on every episode, so a step the new code no longer takes in the old order fails here
/// with the engine's own non-determinism error, as it would fail the job in Azure.
/// </summary>
public sealed class VersionReplayTests
{
    private const string NewRequestId = "fal-req-after-deploy";

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public void WaitingForTheWebhook_TheWebhookAfterTheDeployStoresTheVideo(string version)
    {
        var job = HistoryReplay.Load($"{version}/http-waiting-for-webhook");
        var requestId = SubmittedRequestId(job);

        var next = job.Raise(VideoJobOrchestrator.FalCompletedEvent, Completion(requestId));

        Assert.Contains(next, a => a.ScheduleTask?.Name == StoreVideoActivity.Name);
        var result = job.DriveToEnd(Answer);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(requestId, result.FalRequestId);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public void ConfirmingALostSubmit_ItsWebhookAfterTheDeployIsTheOutcome(string version)
    {
        var job = HistoryReplay.Load($"{version}/http-confirming-lost-submit");

        job.Raise(VideoJobOrchestrator.FalCompletedEvent, Completion(NewRequestId));

        var result = job.DriveToEnd(Answer);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Contains(NewRequestId, result.FalRequestIds ?? []);
        Assert.Single(job.AllScheduled, n => n == SubmitToFalActivity.Name); // the lost submit is not sent again
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public void StoringTheVideo_TheCopyFinishesAfterTheDeploy(string version)
    {
        var job = HistoryReplay.Load($"{version}/http-storing-video");
        Assert.Equal(StoreVideoActivity.Name, Assert.Single(job.PendingTasks).Name);

        var result = job.DriveToEnd(Answer);

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public void InboxImageInTheSidecarGrace_IsSubmittedOnceAfterTheDeploy(string version)
    {
        var job = HistoryReplay.Load($"{version}/inbox-image-in-sidecar-grace");

        var next = job.FireNextTimer();

        Assert.Contains(next, a => a.ScheduleTask?.Name == SubmitToFalActivity.Name);
        job.Complete(job.PendingTasks.Single().Id, Answer(SubmitToFalActivity.Name, ""));
        job.Raise(VideoJobOrchestrator.FalCompletedEvent, Completion(NewRequestId));
        var result = job.DriveToEnd(Answer);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Single(job.ScheduledAfterDeploy, n => n == SubmitToFalActivity.Name);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public void Polling_TheNextPollAfterTheDeployFindsTheVideo(string version)
    {
        var job = HistoryReplay.Load($"{version}/http-polling");

        var next = job.FireNextTimer();

        Assert.Contains(next, a => a.ScheduleTask?.Name == CheckFalStatusActivity.Name);
        var result = job.DriveToEnd(Answer);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public void WaitingForASlot_IsSubmittedWhenWokenAfterTheDeploy(string version)
    {
        var job = HistoryReplay.Load($"{version}/http-waiting-for-slot");

        var next = job.Raise(VideoJobOrchestrator.SlotFreedEvent, "another-job");

        Assert.Contains(next, a => a.ScheduleTask?.Name == SubmitToFalActivity.Name);
        job.Complete(job.PendingTasks.Single().Id, Answer(SubmitToFalActivity.Name, ""));
        job.Raise(VideoJobOrchestrator.FalCompletedEvent, Completion(NewRequestId));
        var result = job.DriveToEnd(Answer);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
    }

    private static string SubmittedRequestId(HistoryReplay job) =>
        JsonDocument.Parse(job.CompletedResults(SubmitToFalActivity.Name).Last()).RootElement
            .GetProperty("Request").GetProperty("RequestId").GetString()!;

    private static FalCompletion Completion(string requestId) =>
        new(requestId, true, $"https://v3.fal.media/files/{requestId}/output.mp4", "video/mp4", 1000, 42, null, null);

    /// <summary>What each activity answers, in the JSON a worker of either version writes.</summary>
    private static string Answer(string activity, string input) => activity switch
    {
        SubmitToFalActivity.Name => $$"""
            {"Request":{"RequestId":"{{NewRequestId}}",
             "StatusUrl":"https://queue.fal.run/bytedance/seedance-2.0/requests/{{NewRequestId}}/status",
             "ResponseUrl":"https://queue.fal.run/bytedance/seedance-2.0/requests/{{NewRequestId}}",
             "CancelUrl":"https://queue.fal.run/bytedance/seedance-2.0/requests/{{NewRequestId}}/cancel"},
             "QueuePosition":0,"Error":null,"Mode":"image-to-video","SubmittedAt":"2026-12-01T12:00:00+00:00","Announced":true,
             "HoldsSlot":false}
            """,
        CheckFalStatusActivity.Name => $$"""
            {"State":2,"QueuePosition":null,"Completion":{{JsonSerializer.Serialize(Completion(PolledRequestId(input)))}}}
            """,
        StoreVideoActivity.Name => """
            {"Video":{"blob":"videos/out.mp4","url":"https://account.blob.core.windows.net/videos/out.mp4","content_type":"video/mp4",
             "size_bytes":1000},
             "StoredAt":"2026-12-01T12:01:00+00:00","Announced":true,"PurgedAtFal":false,"WakeJob":null}
            """,
        _ => "true",
    };

    /// <summary>The request id the status check was asked about.</summary>
    private static string PolledRequestId(string input) =>
        JsonDocument.Parse(input).RootElement[0].GetProperty("RequestId").GetString()!;
}
