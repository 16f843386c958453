using System.Text.Json;
using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Steps;
using Pipeline.Core.Storage;
using Pipeline.Core.Submits;
using static Pipeline.UnitTests.Orchestrations.OrchestrationHarness;

namespace Pipeline.UnitTests.Orchestrations;

/// <summary>
/// Version 3's steps on a mocked context: answers that must name their question, patience on durable timers while a
/// dependency is away, and several submits of one job. Replays through the real runner are in <see cref="LeftoverAnswerReplayTests"/>.
/// </summary>
public sealed class VideoJobRunTests
{
    private static OrchestrationHarness Harness()
    {
        var h = new OrchestrationHarness { Version = VideoJobOrchestrator.Version };
        h.On(JobSteps.Store, _ => StoredOutcome());
        return h;
    }

    private static StepFailure Failure(string message, int? status = null, params string[] causes) =>
        new("System.Net.Http.HttpRequestException", message, causes.Length > 0 ? causes : ["System.Net.Http.HttpRequestException"], status);

    private static readonly JobError FalAway = new("fal_unavailable", "fal could not be connected to (connection refused)");

    [Fact]
    public async Task RunAsync_Webhook_SubmitsStoresAndAnnouncesEachEventOnce()
    {
        var h = Harness();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal([JobEventTypes.Submitted, JobEventTypes.Succeeded], h.Announced.Select(e => e.Type));
        Assert.Equal(3, Assert.Single(h.StepInputs<SubmitToFalInput>(JobSteps.Submit)).Steps);
        Assert.Empty(h.CallsOf(SubmitToFalActivity.Name)); // version 3 asks its own steps, never version 2's activities
    }

    [Fact]
    public async Task RunAsync_ALeftoverAnswerReachesTheCopy_TheCopyIsAskedAgainAndTheVideoStored()
    {
        var h = Harness();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());
        // A poll's answer that the engine hands to the copy's task (the same task id on another path of a crashed episode).
        h.AnswerNextWith(JobSteps.Store, call => StepAnswer.Of(
            call.Question with { Step = JobSteps.Poll, Number = call.Question.Number - 1 },
            new FalPoll(FalRequestState.Completed, null, Success())));

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.NotNull(result.Video);
        Assert.Equal(2, h.CallsOf(JobSteps.Store).Count());
    }

    [Fact]
    public async Task RunAsync_OkWebhookWithoutPayloadAndAPollAnswerForTheResultRead_ReadsAgainAndStoresTheVideo()
    {
        var h = Harness();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success() with { VideoUrl = null });
        h.AnswerNextWith(JobSteps.ReadResult, call => StepAnswer.Of(
            call.Question with { Step = JobSteps.Poll }, new FalPoll(FalRequestState.InProgress, 2, null)));
        h.On(JobSteps.ReadResult, _ => Success());

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome); // version 2 ended fal_error: "fal reported an error without a message"
        Assert.Equal(2, h.CallsOf(JobSteps.ReadResult).Count());
    }

    [Fact]
    public async Task RunAsync_AnswersOfAnotherShapeOnly_TheStepCountsAsFailedAndIsTriedPatiently()
    {
        var h = Harness();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());
        for (var i = 0; i < 3; i++)
        {
            h.AnswerNextWith(JobSteps.Store, _ => true); // version 2's bool answer of another activity
        }

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(4, h.CallsOf(JobSteps.Store).Count()); // three leftovers, one pause, then the real answer
    }

    [Fact]
    public async Task RunAsync_FalAwayForTwoMinutes_WaitsOnDurableTimersShowingWaitingForFalThenSubmits()
    {
        var h = Harness();
        h.OnSequence(
            JobSteps.Submit,
            new SubmitToFalOutcome.FalUnavailable(FalAway),
            new SubmitToFalOutcome.FalUnavailable(FalAway),
            new SubmitToFalOutcome.FalUnavailable(FalAway),
            new SubmitToFalOutcome.Submitted(FalRef, 1, default, true, false));
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal([1, 2, 3, 4], h.StepInputs<SubmitToFalInput>(JobSteps.Submit).Select(i => i.Attempt));
        var waiting = h.Statuses.Where(s => s.Stage == JobStages.WaitingForFal).ToList();
        Assert.Equal(3, waiting.Count);
        Assert.All(waiting, s => Assert.Equal(FalAway.Message, s.Retrying?.LastError));
        var pauses = h.Timers.Take(3).Select(t => t.FireAt).Prepend(Start).ToList();
        Assert.Equal([5, 10, 20], pauses.Zip(pauses.Skip(1), (a, b) => (b - a).TotalSeconds)); // doubling, durable
    }

    [Fact]
    public async Task RunAsync_FalAwayLongerThanTheWait_FailsFalUnavailableWithNothingBilled()
    {
        var h = Harness();
        h.On(JobSteps.Submit, _ => new SubmitToFalOutcome.FalUnavailable(FalAway));
        var job = HttpJob(timings: Timings with { FalUnavailableWait = TimeSpan.FromMinutes(30) });

        var result = await h.RunAsync(job);

        Assert.Equal("fal_unavailable", result.Error?.Code);
        Assert.Contains("nothing was sent", result.Error!.Message, StringComparison.Ordinal);
        Assert.InRange(h.Now - Start, TimeSpan.FromMinutes(25), TimeSpan.FromMinutes(30));
        Assert.False(Assert.Single(h.StepInputs<JobSlot>(JobSteps.Settle)).ReachedFal); // the reservation is given back
        Assert.Equal(0m, Assert.Single(h.Announced).Data.EstimatedCostUsd);
    }

    [Fact]
    public async Task RunAsync_StorageAwayBeforeTheClaim_WaitsLikeFalAwayAndSubmitsOnce()
    {
        var h = Harness();
        var calls = 0;
        h.On(JobSteps.Submit, _ => ++calls < 3
            ? throw new NothingSubmittedException("the job could not be prepared: storage answered 503")
            : new SubmitToFalOutcome.Submitted(FalRef, 1, default, true, false));
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(2, h.Statuses.Count(s => s.Stage == JobStages.WaitingForFal));
        Assert.Equal([1, 2], h.Statuses.Where(s => s.Stage == JobStages.WaitingForFal).Select(s => s.Retrying!.Attempts));
    }

    [Fact]
    public async Task RunAsync_StorageAwayWhenASubmitRunsAgain_AsksTheSameAttemptSoItFindsItsClaim()
    {
        // A crash mid-POST, then the rerun cannot read its claim (storage away): that proves nothing was sent by this run
        // only. Asking a new attempt would POST again while the first may be at fal; asking the same one finds its claim.
        var h = Harness();
        var calls = 0;
        h.On(JobSteps.Submit, _ => ++calls switch
        {
            1 => new SubmitToFalOutcome.FalUnavailable(FalAway), // fal refused attempt 1, recorded in its claim
            2 => throw new NothingSubmittedException("the job could not be prepared: storage answered 503"),
            _ => new SubmitToFalOutcome.OutcomeUnknown(HoldsSlot: true), // attempt 2's claim: it may be at fal
        });
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal([1, 2, 2], h.StepInputs<SubmitToFalInput>(JobSteps.Submit).Select(i => i.Attempt));
        Assert.Equal([FalRef.RequestId], result.FalRequestIds); // the webhook named attempt 2's request: adopted, not sent again
    }

    [Fact]
    public async Task RunAsync_CancelledWhileWaitingForFal_EndsCancelledWithoutSubmitting()
    {
        var h = Harness();
        h.On(JobSteps.Submit, _ => new SubmitToFalOutcome.FalUnavailable(FalAway));
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.CancelEvent, new CancelRequest("by the test"));

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Cancelled, result.Outcome);
        Assert.Single(h.CallsOf(JobSteps.Submit));
    }

    [Fact]
    public async Task RunAsync_CopyFailsWhileStorageIsAway_TriesAgainOnDurableTimersUntilStored()
    {
        var h = Harness();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());
        var copies = 0;
        h.On(JobSteps.Store, _ => ++copies <= 6 ? throw new Azure.RequestFailedException(503, "ServerBusy") : StoredOutcome());

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(7, h.CallsOf(JobSteps.Store).Count());
        Assert.Contains(h.Statuses, s => s.Stage == JobStages.Storing && s.Retrying is { Step: "copy_video", Attempts: 6 });
    }

    [Fact]
    public async Task RunAsync_TheFileIsGoneAtFal_FailsVideoUnavailableAtOnce()
    {
        var h = Harness();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());
        h.StepFails(JobSteps.Store, Failure("the video download answered 404", 404));

        var result = await h.RunAsync(HttpJob());

        Assert.Equal("video_unavailable", result.Error?.Code);
        Assert.Single(h.CallsOf(JobSteps.Store));
    }

    [Fact]
    public async Task RunAsync_FalsFileHostAwayPastItsRetention_GivesUpOnlyThen()
    {
        var h = Harness();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());
        h.StepFails(JobSteps.Store, Failure("Connection refused (v3b.fal.media:443)"));
        var job = HttpJob(timings: Timings with { FalRetention = TimeSpan.FromHours(6) });

        var result = await h.RunAsync(job);

        Assert.Equal("video_unavailable", result.Error?.Code);
        Assert.InRange(h.Now - Start, TimeSpan.FromHours(5.5), TimeSpan.FromHours(6));
        Assert.InRange(h.CallsOf(JobSteps.Store).Count(), 35, 45); // 10 s doubling to 10 min over six hours
    }

    [Fact]
    public async Task RunAsync_LostSubmitFoundInFalsHistory_FollowsItAndNeverSubmitsAgain()
    {
        var h = Harness();
        h.On(JobSteps.Submit, _ => new SubmitToFalOutcome.OutcomeUnknown(HoldsSlot: false));
        h.OnSequence(JobSteps.FindAtFal, new FalSearch([], true), new FalSearch([new FoundSubmit(1, FalRef)], true));
        h.On(JobSteps.Poll, _ => new FalPoll(FalRequestState.Completed, null, Success()));

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Single(h.CallsOf(JobSteps.Submit));
        Assert.Equal([JobEventTypes.Submitted, JobEventTypes.Succeeded], h.Announced.Select(e => e.Type));
    }

    [Fact]
    public async Task RunAsync_LostSubmitWhileFalsHistoryIsUnreadable_WaitsForFalAndNeverCountsItAsMissing()
    {
        // The chaos audit's case: fal refused connections, a crash left two submits unknown, and the unread history
        // (fal away) was taken for "not there": the job failed submit_unconfirmed though nothing had reached fal.
        var h = Harness();
        var unreadable = new FalSearch([], false, "fal could not be connected to (connection refused)", FalAway: true);
        var answers = Enumerable.Repeat<object?>(unreadable, 40).Append(new FalSearch([new FoundSubmit(1, FalRef)], true)).ToArray();
        h.On(JobSteps.Submit, _ => new SubmitToFalOutcome.OutcomeUnknown(HoldsSlot: false));
        h.OnSequence(JobSteps.FindAtFal, answers);
        h.On(JobSteps.Poll, _ => new FalPoll(FalRequestState.Completed, null, Success()));
        var job = HttpJob(timings: Timings with
        {
            UnconfirmedSubmitWait = TimeSpan.FromMinutes(5), FalUnavailableWait = TimeSpan.FromHours(1),
        });

        var result = await h.RunAsync(job);

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Single(h.CallsOf(JobSteps.Submit));
        Assert.Equal(41, h.CallsOf(JobSteps.FindAtFal).Count()); // every 30 s for 20 minutes, past the 5-minute window
        Assert.Contains(h.Statuses, s => s is { Stage: JobStages.WaitingForFal, Retrying.Step: "find_at_fal" });
    }

    [Fact]
    public async Task RunAsync_FalsHistoryUnreadableForLongerThanFalsWait_SubmitsOnceMoreThenGivesUp()
    {
        var h = Harness();
        h.On(JobSteps.Submit, _ => new SubmitToFalOutcome.OutcomeUnknown(HoldsSlot: false));
        h.On(JobSteps.FindAtFal, _ => new FalSearch([], false, "connection refused", FalAway: true));
        var job = HttpJob(timings: Timings with
        {
            UnconfirmedSubmitWait = TimeSpan.FromMinutes(5),
            FalUnavailableWait = TimeSpan.FromHours(1),
            Deadline = TimeSpan.FromMinutes(30),
        });

        var result = await h.RunAsync(job);

        Assert.Equal("submit_unconfirmed", result.Error?.Code);
        Assert.Equal(2, h.CallsOf(JobSteps.Submit).Count());
        Assert.InRange(h.Now - Start, TimeSpan.FromHours(2), TimeSpan.FromHours(2.3)); // two windows, each held open for fal's hour
    }

    [Fact]
    public async Task RunAsync_TwoLostSubmitsAndTheFirstWebhookAnError_WaitsForTheSecondAndStoresItsVideo()
    {
        var h = Harness();
        var first = h.RaisedLater<FalCompletion>(VideoJobOrchestrator.FalCompletedEvent); // comes only after the second submit
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success("fal-req-B"));
        var submits = 0;
        h.On(JobSteps.Submit, _ =>
        {
            if (++submits == 2)
            {
                first.SetResult(new FalCompletion("fal-req-A", false, null, null, null, null, "Invalid status code: 500", null));
            }

            return new SubmitToFalOutcome.OutcomeUnknown(HoldsSlot: false);
        });

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome); // version 2 failed with A's error while B was billed
        Assert.Equal("fal-req-B", result.FalRequestId);
        Assert.Equal(["fal-req-A", "fal-req-B"], result.FalRequestIds);
        Assert.Equal(2, h.CallsOf(JobSteps.Submit).Count());
    }

    [Fact]
    public async Task RunAsync_SubmittedWasKept_LaterEventsQueueBehindIt()
    {
        var h = Harness();
        h.On(JobSteps.Submit, _ => new SubmitToFalOutcome.Submitted(FalRef, 1, default, true, false) { EventKept = true });
        h.On(JobSteps.Store, _ => StoredOutcome(announced: false));
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());

        await h.RunAsync(HttpJob());

        Assert.True(Assert.Single(h.StepInputs<StoreVideoInput>(JobSteps.Store)).QueueEventBehind);
        Assert.True(Assert.Single(h.StepInputs<JobAnnouncement>(JobSteps.Announce)).QueueBehind);
    }

    [Fact]
    public async Task RunAsync_EventGridAndStorageAway_TheAnnouncementIsTriedForADayNotDropped()
    {
        var h = Harness();
        h.On(JobSteps.Submit, _ => new SubmitToFalOutcome.NotSubmitted(new JobError("fal_rejected", "422")));
        h.StepFails(JobSteps.Announce, new StepFailure("Azure.RequestFailedException", "ServerBusy", ["Azure.RequestFailedException"]));

        await h.RunAsync(HttpJob());

        Assert.InRange(h.CallsOf(JobSteps.Announce).Count(), 250, 320); // 5 s doubling to 5 min, for 24 h
    }

    [Fact]
    public async Task RunAsync_FalCouldNotFetchAnInboxFile_SubmitsAgainOnceStorageIsBack()
    {
        var h = Harness();
        var refused = new FalCompletion(
            FalRequestId,
            false,
            null,
            null,
            null,
            null,
            "Invalid status code: 422: image_url: Failed to download the file",
            "file_download_error");
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, refused);
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success("fal-req-0002"));
        var submits = 0;
        h.On(JobSteps.Submit, _ => new SubmitToFalOutcome.Submitted(
            ++submits == 1 ? FalRef : FalRef with { RequestId = "fal-req-0002" }, 1, default, true, false));

        var result = await h.RunAsync(InboxJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        // the next attempt is not refused for it
        Assert.Equal([FalRequestId], h.StepInputs<SubmitToFalInput>(JobSteps.Submit).Last().Ended);
        Assert.Contains(h.Statuses, s => s.Stage == JobStages.WaitingForFal);
    }

    [Fact]
    public async Task RunAsync_FalCouldNotFetchAUrlTheCallerGave_FailsWithFalsError()
    {
        var h = Harness();
        h.Raised(
            VideoJobOrchestrator.FalCompletedEvent,
            new FalCompletion(
                FalRequestId, false, null, null, null, null, "image_url: Failed to download the file", "file_download_error"));

        var result = await h.RunAsync(HttpJob()); // its image is https://cdn.example.com/octopus.png: not the pipeline's to serve

        Assert.Equal("fal_error", result.Error?.Code);
        Assert.Single(h.CallsOf(JobSteps.Submit));
    }
}
