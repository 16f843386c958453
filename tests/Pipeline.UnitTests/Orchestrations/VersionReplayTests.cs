using System.Text.Json;
using Pipeline.Core.Activities;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;

namespace Pipeline.UnitTests.Orchestrations;

/// <summary>
/// Jobs in flight when a new version is deployed: histories recorded from the previous version of the orchestrator
/// (<c>Histories/v1</c>, unversioned, recorded by <c>OrchestrationHistoryRecorder</c> at every place a job waits) are
/// replayed by today's orchestrator, which must take up each job where it stopped and finish it with one outcome.
/// Durable replays history on every episode, so a step the new code no longer takes in the old order fails here
/// with the engine's own non-determinism error, as it would fail the job in Azure.
/// </summary>
public sealed class VersionReplayTests
{
    private const string NewRequestId = "fal-req-after-deploy";

    [Fact]
    public void WaitingForTheWebhook_TheWebhookAfterTheDeployStoresTheVideo()
    {
        var job = HistoryReplay.Load("v1/http-waiting-for-webhook");
        var requestId = SubmittedRequestId(job);

        var next = job.Raise(VideoJobOrchestrator.FalCompletedEvent, Completion(requestId));

        Assert.Contains(next, a => a.ScheduleTask?.Name == StoreVideoActivity.Name);
        var result = job.DriveToEnd(Answer);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(requestId, result.FalRequestId);
    }

    [Fact]
    public void ConfirmingALostSubmit_ItsWebhookAfterTheDeployIsTheOutcome()
    {
        var job = HistoryReplay.Load("v1/http-confirming-lost-submit");

        job.Raise(VideoJobOrchestrator.FalCompletedEvent, Completion(NewRequestId));

        var result = job.DriveToEnd(Answer);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Contains(NewRequestId, result.FalRequestIds ?? []);
        Assert.Single(job.AllScheduled, n => n == SubmitToFalActivity.Name); // the lost submit is not sent again
    }

    [Fact]
    public void StoringTheVideo_TheCopyFinishesAfterTheDeploy()
    {
        var job = HistoryReplay.Load("v1/http-storing-video");
        Assert.Equal(StoreVideoActivity.Name, Assert.Single(job.PendingTasks).Name);

        var result = job.DriveToEnd(Answer);

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
    }

    [Fact]
    public void InboxImageInTheSidecarGrace_IsSubmittedOnceAfterTheDeploy()
    {
        var job = HistoryReplay.Load("v1/inbox-image-in-sidecar-grace");

        var next = job.FireNextTimer();

        Assert.Contains(next, a => a.ScheduleTask?.Name == SubmitToFalActivity.Name);
        job.Complete(job.PendingTasks.Single().Id, Answer(SubmitToFalActivity.Name, ""));
        job.Raise(VideoJobOrchestrator.FalCompletedEvent, Completion(NewRequestId));
        var result = job.DriveToEnd(Answer);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Single(job.AllScheduled, n => n == SubmitToFalActivity.Name);
    }

    [Fact]
    public void Polling_TheNextPollAfterTheDeployFindsTheVideo()
    {
        var job = HistoryReplay.Load("v1/http-polling");

        var next = job.FireNextTimer();

        Assert.Contains(next, a => a.ScheduleTask?.Name == CheckFalStatusActivity.Name);
        var result = job.DriveToEnd(Answer);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
    }

    [Fact]
    public void WaitingForASlot_IsSubmittedWhenWokenAfterTheDeploy()
    {
        var job = HistoryReplay.Load("v1/http-waiting-for-slot");

        var next = job.Raise(VideoJobOrchestrator.SlotFreedEvent, "another-job");

        Assert.Contains(next, a => a.ScheduleTask?.Name == SubmitToFalActivity.Name);
        job.Complete(job.PendingTasks.Single().Id, Answer(SubmitToFalActivity.Name, ""));
        job.Raise(VideoJobOrchestrator.FalCompletedEvent, Completion(NewRequestId));
        var result = job.DriveToEnd(Answer);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
    }

    private static string SubmittedRequestId(HistoryReplay job) =>
        JsonDocument.Parse(job.CompletedResults(SubmitToFalActivity.Name).Last()).RootElement.GetProperty("Request").GetProperty("RequestId").GetString()!;

    private static FalCompletion Completion(string requestId) =>
        new(requestId, true, $"https://v3.fal.media/files/{requestId}/output.mp4", "video/mp4", 1000, 42, null, null);

    /// <summary>What each activity answers, in the JSON a worker of either version writes.</summary>
    private static string Answer(string activity, string input) => activity switch
    {
        SubmitToFalActivity.Name => $$"""
            {"Request":{"RequestId":"{{NewRequestId}}","StatusUrl":"https://queue.fal.run/bytedance/seedance-2.0/requests/{{NewRequestId}}/status",
             "ResponseUrl":"https://queue.fal.run/bytedance/seedance-2.0/requests/{{NewRequestId}}","CancelUrl":"https://queue.fal.run/bytedance/seedance-2.0/requests/{{NewRequestId}}/cancel"},
             "QueuePosition":0,"Error":null,"Mode":"image-to-video","SubmittedAt":"2026-12-01T12:00:00+00:00","Announced":true,"HoldsSlot":false}
            """,
        CheckFalStatusActivity.Name => $$"""
            {"State":2,"QueuePosition":null,"Completion":{{JsonSerializer.Serialize(Completion(JsonDocument.Parse(input).RootElement[0].GetProperty("RequestId").GetString()!))}}}
            """,
        StoreVideoActivity.Name => """
            {"Video":{"blob":"videos/out.mp4","url":"https://account.blob.core.windows.net/videos/out.mp4","content_type":"video/mp4","size_bytes":1000},
             "StoredAt":"2026-12-01T12:01:00+00:00","Announced":true,"PurgedAtFal":false,"WakeJob":null}
            """,
        _ => "true",
    };
}
