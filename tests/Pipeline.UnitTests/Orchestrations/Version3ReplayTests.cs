using System.Text.Json;
using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Steps;
using Pipeline.Core.Submits;

namespace Pipeline.UnitTests.Orchestrations;

/// <summary>
/// Version 3 jobs in flight at a deploy: their histories, recorded at every place a job waits
/// (<c>RECORD_HISTORIES=v3</c>), are taken up where they stopped by today's orchestrator and finish with one outcome.
/// A later version keeps these passing (as <see cref="VersionReplayTests"/> does for versions 1 and 2).
/// </summary>
public sealed class Version3ReplayTests
{
    private const string NewRequestId = "fal-req-after-deploy";

    [Fact]
    public void WaitingForTheWebhook_TheWebhookAfterTheDeployStoresTheVideo()
    {
        var job = HistoryReplay.Load("v3/http-waiting-for-webhook");
        var requestId = SubmittedRequestId(job);

        var next = job.Raise(VideoJobOrchestrator.FalCompletedEvent, Completion(requestId));

        Assert.Contains(next, a => a.ScheduleTask?.Name == JobSteps.Store);
        Assert.Equal(JobOutcome.Succeeded, job.DriveToEnd(Answer).Outcome);
    }

    [Fact]
    public void ConfirmingALostSubmit_ItsWebhookAfterTheDeployIsTheOutcome()
    {
        var job = HistoryReplay.Load("v3/http-confirming-lost-submit");

        job.Raise(VideoJobOrchestrator.FalCompletedEvent, Completion(NewRequestId));

        var result = job.DriveToEnd(Answer);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Single(job.AllScheduled, n => n == JobSteps.Submit); // the lost submit is not sent again
    }

    [Theory]
    [InlineData("http-storing-video")]
    [InlineData("http-polling")]
    [InlineData("inbox-image-in-sidecar-grace")]
    [InlineData("http-waiting-for-slot")]
    public void AJobStoppedAtAWait_FinishesAfterTheDeploy(string fixture)
    {
        var job = HistoryReplay.Load($"v3/{fixture}");

        var result = job.DriveToEnd(Answer); // timers fire: the poll, the grace, the slot's backoff

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
    }

    private static string SubmittedRequestId(HistoryReplay job) =>
        JsonDocument.Parse(job.CompletedResults(JobSteps.Submit).Last()).RootElement
            .GetProperty("output").GetProperty("Request").GetProperty("RequestId").GetString()!;

    private static FalCompletion Completion(string requestId) =>
        new(requestId, true, $"https://v3.fal.media/files/{requestId}/output.mp4", "video/mp4", 1000, 42, null, null);

    private static readonly FalRequestRef After = new(NewRequestId,
        new Uri($"https://queue.fal.run/bytedance/seedance-2.0/requests/{NewRequestId}/status"),
        new Uri($"https://queue.fal.run/bytedance/seedance-2.0/requests/{NewRequestId}"),
        new Uri($"https://queue.fal.run/bytedance/seedance-2.0/requests/{NewRequestId}/cancel"));

    /// <summary>What each step answers: the question it was asked, and an output of its shape.</summary>
    private static string Answer(string step, string input)
    {
        var call = JsonSerializer.Deserialize<StepCall[]>(input, StepJson.Options)![0];
        object? output = step switch
        {
            JobSteps.Submit => new SubmitToFalOutcome.Submitted(
                After, 0, new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero), true, false),
            JobSteps.Poll => new FalPoll(FalRequestState.Completed, null, Completion(call.Question.FalRequestId ?? NewRequestId)),
            JobSteps.ReadResult => Completion(call.Question.FalRequestId ?? NewRequestId),
            JobSteps.Store => new StoreVideoOutcome(
                new StoredVideo("videos/out.mp4", "https://account.blob.core.windows.net/videos/out.mp4", "video/mp4", 1000),
                new DateTimeOffset(2026, 12, 6, 12, 1, 0, TimeSpan.Zero),
                Announced: true),
            JobSteps.FindAtFal => new FalSearch([], true),
            JobSteps.Announce => AnnounceOutcome.Delivered,
            JobSteps.Settle => null,
            JobSteps.MarkFailure => "videos/out.error.json",
            _ => true,
        };
        return JsonSerializer.Serialize(StepAnswer.Of(call.Question, output), StepJson.Options);
    }
}
