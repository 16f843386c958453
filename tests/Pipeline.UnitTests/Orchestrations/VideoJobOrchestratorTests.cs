using Microsoft.DurableTask;
using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Requests;
using static Pipeline.UnitTests.Orchestrations.OrchestrationHarness;

namespace Pipeline.UnitTests.Orchestrations;

/// <summary>
/// The orchestrator's branches on a mocked context (no engine, no real time). Replays, buffering of events and real
/// timers are the integration tests' business (in-process Durable engine).
/// </summary>
public sealed class VideoJobOrchestratorTests
{
    private static readonly DateTimeOffset At = new(Start, TimeSpan.Zero);

    // Inbox jobs whose timers never fire must not wait for a sidecar first.
    private static TaskFailureDetails Failure<T>(string message = "failed")
        where T : Exception =>
        new(typeof(T).FullName!, message, null, null, null);

    private static readonly JobTimings NoGrace = Timings with { SidecarGrace = TimeSpan.Zero };

    // ---- submit ----

    [Fact]
    public async Task RunAsync_FalRefusesSubmit_FailsWithFalsErrorAndPublishesFailedWithoutWaitingOrStoring()
    {
        var h = new OrchestrationHarness();
        var refusal = new JobError("fal_rejected", "fal answered 422: prompt: field required");
        h.On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.NotSubmitted(refusal));

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal(refusal, result.Error);
        Assert.Null(result.FalRequestId);
        Assert.Null(result.SubmittedAt);
        Assert.Equal([JobEventTypes.Failed], h.EventTypes);
        Assert.Equal(refusal, h.Events[0].Data.Error);
        Assert.Empty(h.CallsOf(StoreVideoActivity.Name));
        Assert.Empty(h.CallsOf(WriteErrorMarkerActivity.Name));
        Assert.Empty(h.Waits);
    }

    [Fact]
    public async Task RunAsync_SubmitActivityFailsAfterItMayHaveSent_IsAnUnknownOutcomeNeverSubmitFailed()
    {
        var h = new OrchestrationHarness();
        h.Fails(SubmitToFalActivity.Name, "fal unreachable after retries");

        var result = await h.RunAsync(HttpJob());

        // It may have reached fal: the job waits for a webhook naming it, and submits again only after that wait.
        Assert.Equal("submit_unconfirmed", result.Error?.Code);
        Assert.Contains(h.Statuses, s => s.Stage == JobStages.ConfirmingSubmit);
        Assert.Equal([1, 2], h.CallsOf(SubmitToFalActivity.Name).Select(c => ((SubmitToFalInput)c.Input!).Attempt));
        Assert.Equal([JobEventTypes.Failed], h.EventTypes);
    }

    [Fact]
    public async Task RunAsync_Version1JobWhoseSubmitFails_FailsWithSubmitFailedAsVersion1Did()
    {
        var h = new OrchestrationHarness { Version = "" };
        h.Fails(SubmitToFalActivity.Name, "fal unreachable after retries");

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(new JobError("submit_failed", "fal unreachable after retries"), result.Error);
        Assert.Equal([JobEventTypes.Failed], h.EventTypes);
    }

    [Fact]
    public async Task RunAsync_Submit_SendsJobModeAndRequestRetryingOnlyWhenNothingWasSubmitted()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());
        h.On(StoreVideoActivity.Name, _ => StoredOutcome());

        await h.RunAsync(HttpJob());

        var submit = Assert.Single(h.CallsOf(SubmitToFalActivity.Name));
        var input = (SubmitToFalInput)submit.Input!;
        Assert.Equal(
            new SubmitToFalInput(
                "api-0123456789abcdef0123456789abcdef", VideoMode.ImageToVideo, Request, JobSource.Http, null, HttpJob().CreatedAt)
            {
                Attempt = 1,
            },
            input with { Announcement = null });
        Assert.Equal(JobEventTypes.Submitted, input.Announcement?.Type);
        var retry = submit.Options?.Retry?.Policy;
        Assert.NotNull(retry);
        Assert.Equal(4, retry.MaxNumberOfAttempts);
        Assert.True(
            Pipeline.Core.Orchestrations.VideoJobOrchestratorV2.SafeToResubmit(Failure<NothingSubmittedException>()),
            "nothing reached fal: safe to run again");
        Assert.False(
            Pipeline.Core.Orchestrations.VideoJobOrchestratorV2.SafeToResubmit(Failure<InvalidOperationException>()),
            "anything else may have reached fal and been billed");
        var store = Assert.Single(h.CallsOf(StoreVideoActivity.Name));
        Assert.Equal(4, store.Options?.Retry?.Policy?.MaxNumberOfAttempts);
    }

    // ---- the webhook ----

    [Fact]
    public async Task RunAsync_WebhookWins_StoresTheWebhooksVideoAndPublishesSucceeded()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success(url: "https://v3b.fal.media/files/b/webhook/output.mp4"));
        h.On(StoreVideoActivity.Name, _ => StoredOutcome());
        var job = HttpJob();

        var result = await h.RunAsync(job);

        var store = Assert.Single(h.CallsOf(StoreVideoActivity.Name));
        Assert.Equal(
            new StoreVideoInput(
                job.Id,
                VideoMode.ImageToVideo,
                JobSource.Http,
                FalRequestId,
                3141592653,
                "https://v3b.fal.media/files/b/webhook/output.mp4",
                "video/mp4",
                job.OutputBlob)
            {
                FileSize = 1843211, // fal's file_size, checked against the download
            },
            ((StoreVideoInput)store.Input!) with { Announcement = null, JobCreatedAt = null });
        Assert.Equal(new VideoJobResult(job.Id, VideoMode.ImageToVideo, JobOutcome.Succeeded, FalRequestId, Stored(), 3141592653, null, At)
        {
            FalCompletedAt = At, FinishedAt = At,
        }, result with { FalRequestIds = null });
        Assert.Equal([FalRequestId], result.FalRequestIds);
        Assert.Equal([JobEventTypes.Submitted, JobEventTypes.Succeeded], h.EventTypes);
        var succeeded = h.Events[1];
        Assert.Equal($"videos/{job.Id}", succeeded.Subject);
        Assert.Equal(Stored(), succeeded.Data.Video);
        Assert.Equal(3141592653, succeeded.Data.Seed);
        Assert.Equal(FalRequestId, succeeded.Data.FalRequestId);
        Assert.Equal(new JobTimeline(job.CreatedAt, At, At, At), succeeded.Data.Timings);
        Assert.Empty(h.CallsOf(CheckFalStatusActivity.Name));
    }

    [Fact]
    public async Task RunAsync_WebhookWins_CancelsTheLosingTimerAndTheOtherWaits()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());
        h.On(StoreVideoActivity.Name, _ => StoredOutcome());

        await h.RunAsync(HttpJob());

        var timer = Assert.Single(h.Timers);
        Assert.Equal(Start + Timings.WebhookWait, timer.FireAt);
        Assert.True(timer.Token.IsCancellationRequested, "an outstanding timer keeps the instance running");
        var cancelWait = Assert.Single(h.Waits, w => w.Name == VideoJobOrchestrator.CancelEvent);
        Assert.True(cancelWait.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task RunAsync_WebhookForAnotherRequest_IsIgnoredWithANewWaitAndThePollCompletesIt()
    {
        var h = new OrchestrationHarness();
        h.Raised(
            VideoJobOrchestrator.FalCompletedEvent,
            Success(requestId: "someone-elses-request", url: "https://v3b.fal.media/files/b/foreign/output.mp4"));
        h.NeverRaised<FalCompletion>(VideoJobOrchestrator.FalCompletedEvent);
        h.On(CheckFalStatusActivity.Name, _ => new FalPoll(
            FalRequestState.Completed, null, Success(url: "https://v3b.fal.media/files/b/polled/output.mp4")));
        h.On(StoreVideoActivity.Name, _ => StoredOutcome());

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(2, h.Waits.Count(w => w.Name == VideoJobOrchestrator.FalCompletedEvent));
        Assert.Single(h.CallsOf(CheckFalStatusActivity.Name));
        var store = (StoreVideoInput)Assert.Single(h.CallsOf(StoreVideoActivity.Name)).Input!;
        Assert.Equal("https://v3b.fal.media/files/b/polled/output.mp4", store.VideoUrl);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(FalRequestId, result.FalRequestId);
    }

    [Fact]
    public async Task RunAsync_WebhookReportsError_FailsWithFalErrorAndItsSeedWithoutStoring()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent,
            new FalCompletion(
                FalRequestId, false, null, null, null, 77, "Unprocessable Entity: prompt: content policy", "content_policy_violation"));

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(new JobError("fal_error", "Unprocessable Entity: prompt: content policy"), result.Error);
        Assert.Equal(77, result.Seed);
        Assert.Equal(At, result.FalCompletedAt);
        Assert.Empty(h.CallsOf(StoreVideoActivity.Name));
        Assert.Equal([JobEventTypes.Submitted, JobEventTypes.Failed], h.EventTypes);
    }

    [Fact]
    public async Task RunAsync_FalCancelledTheRequest_FailsWithFalCancelled()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(
            VideoJobOrchestrator.FalCompletedEvent,
            new FalCompletion(FalRequestId, false, null, null, null, null, "client_cancelled", "client_cancelled"));

        var result = await h.RunAsync(HttpJob());

        Assert.Equal("fal_cancelled", result.Error?.Code);
    }

    [Fact]
    public async Task RunAsync_OkWebhookWithoutTheVideo_ReadsTheResultFromFalAndStoresIt()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success() with { VideoUrl = null });
        h.On(FetchFalResultActivity.Name, _ => Success(url: "https://v3b.fal.media/files/b/fetched/output.mp4"));
        h.On(StoreVideoActivity.Name, _ => StoredOutcome());

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        var fetch = Assert.Single(h.CallsOf(FetchFalResultActivity.Name));
        Assert.Equal(new FalResultQuery(FalRequestId, VideoMode.ImageToVideo, FalRef.ResponseUrl), fetch.Input);
        Assert.Equal(6, fetch.Options?.Retry?.Policy?.MaxNumberOfAttempts);
        Assert.Equal(
            "https://v3b.fal.media/files/b/fetched/output.mp4",
            ((StoreVideoInput)Assert.Single(h.CallsOf(StoreVideoActivity.Name)).Input!).VideoUrl);
    }

    [Fact]
    public async Task RunAsync_OkWebhookWithoutTheVideoAndTheResultUnreadable_FailsVideoUnavailableSayingFalFinished()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success() with { VideoUrl = null });
        h.Fails(FetchFalResultActivity.Name, "fal answered 503");

        var result = await h.RunAsync(HttpJob());

        Assert.Equal("video_unavailable", result.Error?.Code);
        Assert.Contains($"fal finished request {FalRequestId}", result.Error?.Message, StringComparison.Ordinal);
        Assert.Empty(h.CallsOf(StoreVideoActivity.Name));
    }

    // ---- the timer and polling ----

    [Fact]
    public async Task RunAsync_TimerWins_PollsFalThenEveryPollIntervalAndStoresThePolledVideo()
    {
        var h = new OrchestrationHarness();
        h.OnSequence(CheckFalStatusActivity.Name,
            new FalPoll(FalRequestState.InQueue, 2, null),
            new FalPoll(FalRequestState.InProgress, null, null),
            new FalPoll(FalRequestState.Completed, null, Success(url: "https://v3b.fal.media/files/b/polled/output.mp4")));
        h.On(StoreVideoActivity.Name, _ => StoredOutcome());

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(
            [
                Start + Timings.WebhookWait,
                Start + Timings.WebhookWait + Timings.PollInterval,
                Start + Timings.WebhookWait + (2 * Timings.PollInterval),
            ],
            h.Timers.Select(t => t.FireAt));
        var polls = h.CallsOf(CheckFalStatusActivity.Name).ToList();
        Assert.Equal(3, polls.Count);
        Assert.All(polls, p => Assert.Equal(FalRef, p.Input));
        Assert.Equal(
            "https://v3b.fal.media/files/b/polled/output.mp4",
            ((StoreVideoInput)Assert.Single(h.CallsOf(StoreVideoActivity.Name)).Input!).VideoUrl);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(new DateTimeOffset(Start + Timings.WebhookWait + (2 * Timings.PollInterval), TimeSpan.Zero), result.FalCompletedAt);
        Assert.Equal(At, result.SubmittedAt);
    }

    [Fact]
    public async Task RunAsync_Polls_ReportQueuePositionThenRunningInCustomStatus()
    {
        var h = new OrchestrationHarness();
        h.OnSequence(CheckFalStatusActivity.Name,
            new FalPoll(FalRequestState.InQueue, 2, null),
            new FalPoll(FalRequestState.InProgress, null, null),
            new FalPoll(FalRequestState.Completed, null, Success()));
        h.On(StoreVideoActivity.Name, _ => StoredOutcome());

        await h.RunAsync(HttpJob());

        Assert.Equal(
            [
                (JobStages.Submitting, null, null),
                (JobStages.Queued, FalRequestId, 3),
                (JobStages.Queued, FalRequestId, 2),
                (JobStages.Running, FalRequestId, null),
                (JobStages.Storing, FalRequestId, null),
                (JobStages.Finishing, FalRequestId, null),
            ],
            h.Statuses.Select(s => (s.Stage, s.FalRequestId, s.QueuePosition)));
        Assert.All(h.Statuses.Skip(1), s => Assert.Equal([FalRequestId], s.FalRequestIds!)); // every request while it runs
    }

    [Fact]
    public async Task RunAsync_FalNoLongerKnowsTheRequest_FailsFalRequestLostAfterThreeNotFoundPollsInARow()
    {
        var h = new OrchestrationHarness();
        h.OnSequence(CheckFalStatusActivity.Name,
            new FalPoll(FalRequestState.InQueue, null, null, NotFound: true),
            new FalPoll(FalRequestState.InQueue, 4, null),
            new FalPoll(FalRequestState.InQueue, null, null, NotFound: true),
            new FalPoll(FalRequestState.InQueue, null, null, NotFound: true),
            new FalPoll(FalRequestState.InQueue, null, null, NotFound: true));

        var result = await h.RunAsync(HttpJob());

        Assert.Equal("fal_request_lost", result.Error?.Code);
        Assert.Equal(5, h.CallsOf(CheckFalStatusActivity.Name).Count()); // a found poll in between starts the count again
        Assert.Empty(h.CallsOf(CancelFalRequestActivity.Name));
        Assert.Equal(
            new JobSlot(HttpJob().Id, HttpJob().CreatedAt, ReachedFal: true),
            Assert.Single(h.CallsOf(ReleaseJobSlotActivity.Name)).Input);
    }

    [Fact]
    public async Task RunAsync_PollActivityFails_KeepsWaitingAndPollsAgain()
    {
        var h = new OrchestrationHarness();
        var polls = 0;
        h.On(CheckFalStatusActivity.Name, _ => ++polls == 1
            ? throw new TaskFailedException(
                CheckFalStatusActivity.Name, 1, new TaskFailureDetails("HttpRequestException", "fal status 503", null, null, null))
            : new FalPoll(FalRequestState.Completed, null, Success()));
        h.On(StoreVideoActivity.Name, _ => StoredOutcome());

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(2, polls);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
    }

    // ---- cancel and deadline ----

    [Fact]
    public async Task RunAsync_CancelEvent_CancelsAtFalAndEndsCancelledWithCancelledEvent()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.CancelEvent, new CancelRequest("cancelled through the API"));

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(FalRef, Assert.Single(h.CallsOf(CancelFalRequestActivity.Name)).Input);
        Assert.Equal(JobOutcome.Cancelled, result.Outcome);
        Assert.Equal("cancelled", result.Error?.Code);
        Assert.Equal(FalRequestId, result.FalRequestId);
        Assert.Equal([JobEventTypes.Submitted, JobEventTypes.Cancelled], h.EventTypes);
        Assert.Empty(h.CallsOf(StoreVideoActivity.Name));
        Assert.Equal(
            [CancelFalRequestActivity.Name, CheckFalStatusActivity.Name],
            h.Calls.Select(c => c.Name).Where(n => n is CancelFalRequestActivity.Name or CheckFalStatusActivity.Name));
        Assert.True(Assert.Single(h.Timers).Token.IsCancellationRequested);
    }

    [Fact]
    public async Task RunAsync_CancelledAfterFalFinished_KeepsThePaidVideo()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.CancelEvent, new CancelRequest("cancelled through the API"));
        h.On(CheckFalStatusActivity.Name, _ => new FalPoll(FalRequestState.Completed, null, Success()));
        h.On(StoreVideoActivity.Name, _ => StoredOutcome());

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Single(h.CallsOf(StoreVideoActivity.Name));
    }

    [Fact]
    public async Task RunAsync_CancelAtFalFails_StillEndsCancelled()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.CancelEvent, new CancelRequest("x"));
        h.Fails(CancelFalRequestActivity.Name, "fal unreachable");

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Cancelled, result.Outcome);
    }

    [Fact]
    public async Task RunAsync_DeadlineReached_CancelsAtFalAndFailsWithDeadlineExceeded()
    {
        var h = new OrchestrationHarness();
        var timings = Timings with
        {
            WebhookWait = TimeSpan.FromMinutes(2), PollInterval = TimeSpan.FromMinutes(2), Deadline = TimeSpan.FromMinutes(5),
        };
        h.On(CheckFalStatusActivity.Name, _ => new FalPoll(FalRequestState.InProgress, null, null));

        var result = await h.RunAsync(HttpJob(timings: timings));

        // The last wait is cut to the deadline; the request is cancelled, then looked at once more in case fal finished.
        Assert.Equal([Start.AddMinutes(2), Start.AddMinutes(4), Start.AddMinutes(5)], h.Timers.Select(t => t.FireAt));
        Assert.Equal(3, h.CallsOf(CheckFalStatusActivity.Name).Count());
        Assert.Equal(CheckFalStatusActivity.Name, h.Calls.SkipWhile(c => c.Name != CancelFalRequestActivity.Name).Skip(1).First().Name);
        Assert.Equal(FalRef, Assert.Single(h.CallsOf(CancelFalRequestActivity.Name)).Input);
        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal("deadline_exceeded", result.Error?.Code);
        Assert.Contains("the request was cancelled at fal", result.Error?.Message, StringComparison.Ordinal);
        Assert.Equal([JobEventTypes.Submitted, JobEventTypes.Failed], h.EventTypes);
        Assert.Equal("deadline_exceeded", h.Events[1].Data.Error?.Code);
        Assert.Empty(h.CallsOf(StoreVideoActivity.Name));
    }

    [Fact]
    public async Task RunAsync_DeadlineReachedAndFalFinishedMeanwhile_StoresThePaidVideo()
    {
        var h = new OrchestrationHarness();
        var timings = Timings with { WebhookWait = TimeSpan.FromMinutes(10), Deadline = TimeSpan.FromMinutes(5) };
        h.On(CheckFalStatusActivity.Name, _ => new FalPoll(FalRequestState.Completed, null, Success()));
        h.On(StoreVideoActivity.Name, _ => StoredOutcome());

        var result = await h.RunAsync(HttpJob(timings: timings));

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Single(h.CallsOf(CancelFalRequestActivity.Name));
    }

    [Fact]
    public async Task RunAsync_DeadlineCountsFromTheStartNotFromSubmit()
    {
        var h = new OrchestrationHarness();
        var timings = Timings with { WebhookWait = TimeSpan.FromMinutes(10), Deadline = TimeSpan.FromMinutes(5) };
        h.OnSequence(SubmitToFalActivity.Name,
            new SubmitToFalOutcome.WaitingForCompanion(TimeSpan.FromMinutes(1)),
            new SubmitToFalOutcome.Submitted(FalRef, 3, default, false, false));

        var result = await h.RunAsync(InboxJob(timings: timings));

        Assert.Equal([Start.AddMinutes(1), Start.AddMinutes(5)], h.Timers.Select(t => t.FireAt));
        Assert.Equal("deadline_exceeded", result.Error?.Code);
    }

    // ---- inbox jobs ----

    [Fact]
    public async Task RunAsync_InboxSuperseded_EndsSupersededWithoutEventsMarkerOrSubmit()
    {
        var h = new OrchestrationHarness();
        h.On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.Superseded { Mode = VideoMode.TextToVideo });

        var result = await h.RunAsync(InboxJob(VideoMode.TextToVideo));

        Assert.Equal(JobOutcome.Superseded, result.Outcome);
        Assert.Null(result.Error);
        Assert.Equal(
            new JobSlot(InboxJob().Id, InboxJob().CreatedAt, ReachedFal: false),
            Assert.Single(h.CallsOf(ReleaseJobSlotActivity.Name)).Input);
        Assert.Empty(h.Events);
        Assert.Empty(h.CallsOf(WriteErrorMarkerActivity.Name));
        Assert.Null(result.FalRequestId);
    }

    [Fact]
    public async Task RunAsync_InboxInvalid_WritesErrorMarkerAndFailsWithTheProblem()
    {
        var h = new OrchestrationHarness();
        h.On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.NotSubmitted(new JobError("invalid_request", "prompt: is required"))
        {
            Mode = VideoMode.ImageToVideo,
        });
        var job = InboxJob();

        var result = await h.RunAsync(job);

        var error = new JobError("invalid_request", "prompt: is required");
        Assert.Equal(error, result.Error);
        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal(
            new ErrorMarkerInput(job.Id, job.Source, job.OutputBlob, JobOutcome.Failed, error, null),
            Assert.Single(h.CallsOf(WriteErrorMarkerActivity.Name)).Input);
        var failed = Assert.Single(h.Events);
        Assert.Equal(JobEventTypes.Failed, failed.Type);
        Assert.Equal("videos/trips/photo.mp4", failed.Subject);
        Assert.Equal("inbox/trips/photo.jpg", failed.Data.Source);
        Assert.Null(failed.Data.FalRequestId);
    }

    [Fact]
    public async Task RunAsync_InboxDropUnreadable_FailsInboxUnreadableWithMarker()
    {
        var h = new OrchestrationHarness();
        h.On(SubmitToFalActivity.Name, _ => throw new TaskFailedException(
            SubmitToFalActivity.Name, 7, Failure<NothingSubmittedException>("blob gone")));

        var result = await h.RunAsync(InboxJob());

        Assert.Equal(new JobError("inbox_unreadable", "blob gone"), result.Error);
        Assert.Single(h.CallsOf(WriteErrorMarkerActivity.Name));
    }

    [Fact]
    public async Task RunAsync_InboxDropWaitsForItsCompanion_WaitsThenAsksTheActivityToDecide()
    {
        var h = new OrchestrationHarness();
        h.OnSequence(SubmitToFalActivity.Name,
            new SubmitToFalOutcome.WaitingForCompanion(TimeSpan.FromSeconds(4)),
            new SubmitToFalOutcome.NotSubmitted(new JobError("fal_rejected", "no")) { Mode = VideoMode.ReferenceToVideo });
        var job = InboxJob(VideoMode.ImageToVideo);

        var result = await h.RunAsync(job);

        Assert.Equal(Start.AddSeconds(4), Assert.Single(h.Timers).FireAt);
        Assert.Equal([false, true], h.CallsOf(SubmitToFalActivity.Name).Select(c => ((SubmitToFalInput)c.Input!).CompanionWaited));
        Assert.Equal(VideoMode.ReferenceToVideo, result.Mode);
        Assert.Equal([JobStages.Submitting, JobStages.Preparing, JobStages.Submitting], h.Statuses.Take(3).Select(s => s.Stage));
    }

    [Fact]
    public async Task RunAsync_InboxDropWaitingForItsCompanionIsCancelled_EndsCancelledWithoutSubmitting()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.WaitingForCompanion(TimeSpan.FromSeconds(60)));
        h.Raised(VideoJobOrchestrator.CancelEvent, new CancelRequest("x"));

        var result = await h.RunAsync(InboxJob());

        Assert.Equal(JobOutcome.Cancelled, result.Outcome);
        Assert.Single(h.CallsOf(SubmitToFalActivity.Name));
        Assert.Equal(
            new JobSlot(InboxJob().Id, InboxJob().CreatedAt, ReachedFal: false),
            Assert.Single(h.CallsOf(ReleaseJobSlotActivity.Name)).Input);
    }

    [Fact]
    public async Task RunAsync_Version1InboxJob_WaitsTheSidecarGraceThenSubmitsTheDropAndTakesTheModeItChose()
    {
        var h = new OrchestrationHarness { Version = "" };
        h.On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.NotSubmitted(new JobError("fal_rejected", "no"))
        {
            Mode = VideoMode.ReferenceToVideo,
        });
        var job = InboxJob(VideoMode.ImageToVideo);

        var result = await h.RunAsync(job);

        Assert.Equal(Start + Timings.SidecarGrace, Assert.Single(h.Timers).FireAt);
        var submitted = (SubmitToFalInput)Assert.Single(h.CallsOf(SubmitToFalActivity.Name)).Input!;
        Assert.Equal(
            new SubmitToFalInput(job.Id, VideoMode.ImageToVideo, null, job.Source, null, job.CreatedAt)
            {
                Attempt = 1, CompanionWaited = true,
            },
            submitted with { Announcement = null });
        Assert.Equal(VideoMode.ReferenceToVideo, result.Mode);
        Assert.Equal([JobStages.Preparing, JobStages.Submitting], h.Statuses.Take(2).Select(s => s.Stage));
        Assert.Equal(VideoMode.ReferenceToVideo, Assert.Single(h.Events).Data.Mode);
    }

    [Fact]
    public async Task RunAsync_Version1InboxJobWithoutGrace_MakesNoGraceTimer()
    {
        var h = new OrchestrationHarness { Version = "" };
        h.On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.Superseded { Mode = VideoMode.TextToVideo });

        await h.RunAsync(InboxJob(timings: Timings with { SidecarGrace = TimeSpan.Zero }));

        Assert.Empty(h.Timers);
    }

    [Fact]
    public async Task RunAsync_InboxFalErrorCompletion_WritesMarkerAndPublishesFailedWithFalsMessage()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, new FalCompletion(
            FalRequestId,
            false,
            null,
            null,
            null,
            null,
            "Unprocessable Entity: image_url: Failed to download the file",
            "file_download_error"));
        var job = InboxJob(timings: NoGrace);

        var result = await h.RunAsync(job);

        var error = new JobError("fal_error", "Unprocessable Entity: image_url: Failed to download the file");
        Assert.Equal(error, result.Error);
        Assert.Equal(new ErrorMarkerInput(job.Id, job.Source, job.OutputBlob, JobOutcome.Failed, error, FalRequestId),
            Assert.Single(h.CallsOf(WriteErrorMarkerActivity.Name)).Input);
        Assert.Equal([JobEventTypes.Submitted, JobEventTypes.Failed], h.EventTypes);
        Assert.Equal(error, h.Events[1].Data.Error);
        Assert.Equal(FalRequestId, h.Events[1].Data.FalRequestId);
        Assert.Empty(h.CallsOf(StoreVideoActivity.Name));
    }

    [Fact]
    public async Task RunAsync_InboxCancelled_WritesACancelledMarker()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.CancelEvent, new CancelRequest("x"));

        await h.RunAsync(InboxJob(timings: NoGrace));

        var marker = (ErrorMarkerInput)Assert.Single(h.CallsOf(WriteErrorMarkerActivity.Name)).Input!;
        Assert.Equal(JobOutcome.Cancelled, marker.Outcome);
    }

    // ---- storing and publishing ----

    [Fact]
    public async Task RunAsync_StoreFails_FailsVideoUnavailableKeepingTheSeed()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());
        h.Fails(StoreVideoActivity.Name, "404 from fal's CDN");

        var result = await h.RunAsync(HttpJob());

        Assert.Equal("video_unavailable", result.Error?.Code);
        Assert.Contains("404 from fal's CDN", result.Error?.Message, StringComparison.Ordinal);
        Assert.Equal(3141592653, result.Seed);
        Assert.Equal([JobEventTypes.Submitted, JobEventTypes.Failed], h.EventTypes);
    }

    [Fact]
    public async Task RunAsync_PublishFails_JobStillSucceeds()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());
        h.On(StoreVideoActivity.Name, _ => StoredOutcome());
        h.Fails(PublishJobEventActivity.Name, "Event Grid down");

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(2, h.CallsOf(PublishJobEventActivity.Name).Count());
    }

    [Fact]
    public async Task RunAsync_SubmittedEvent_HasNoFinishTime()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());
        h.On(StoreVideoActivity.Name, _ => StoredOutcome());

        await h.RunAsync(HttpJob());

        var submitted = h.Events[0];
        Assert.Equal(JobEventTypes.Submitted, submitted.Type);
        Assert.Equal(new JobTimeline(HttpJob().CreatedAt, At, null, null), submitted.Data.Timings);
        Assert.Equal(FalRequestId, submitted.Data.FalRequestId);
    }

    // ---- events announced by the activities ----

    [Fact]
    public async Task RunAsync_ActivitiesAnnounce_OrchestrationPublishesNothingItself()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());
        h.On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.Submitted(FalRef, 3, At.AddSeconds(2), true, false)
        {
            Mode = VideoMode.ImageToVideo,
        });
        h.On(StoreVideoActivity.Name, _ => StoredOutcome(announced: true));
        var job = HttpJob();

        var result = await h.RunAsync(job);

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Empty(h.CallsOf(PublishJobEventActivity.Name));
        Assert.Equal(At.AddSeconds(2), result.SubmittedAt); // the activity's clock, from its result: replay-safe

        // What each activity was asked to announce: the orchestration's view, completed by the activity.
        var submitted = ((SubmitToFalInput)Assert.Single(h.CallsOf(SubmitToFalActivity.Name)).Input!).Announcement!;
        Assert.Equal(JobEventTypes.Submitted, submitted.Type);
        Assert.Equal($"videos/{job.Id}", submitted.Subject);
        Assert.Null(submitted.Data.FalRequestId);
        var succeeded = ((StoreVideoInput)Assert.Single(h.CallsOf(StoreVideoActivity.Name)).Input!).Announcement!;
        Assert.Equal(JobEventTypes.Succeeded, succeeded.Type);
        Assert.Equal(FalRequestId, succeeded.Data.FalRequestId);
        Assert.Equal(3141592653, succeeded.Data.Seed);
        Assert.Equal(new JobTimeline(job.CreatedAt, At.AddSeconds(2), At, At), succeeded.Data.Timings);
    }

    [Fact]
    public async Task RunAsync_StoreDidNotAnnounce_OrchestrationPublishesSucceededWithTheVideo()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());
        h.On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.Submitted(FalRef, 3, default, true, false));
        h.On(StoreVideoActivity.Name, _ => StoredOutcome(announced: false));

        await h.RunAsync(HttpJob());

        var published = (JobEvent)Assert.Single(h.CallsOf(PublishJobEventActivity.Name)).Input!;
        Assert.Equal(JobEventTypes.Succeeded, published.Type);
        Assert.Equal(Stored(), published.Data.Video);
    }

    [Fact]
    public async Task RunAsync_Version1SubmitFailsAfterSending_FailsSubmitFailedNotInboxUnreadable()
    {
        var h = new OrchestrationHarness { Version = "" };
        h.On(SubmitToFalActivity.Name, _ => throw new TaskFailedException(
            SubmitToFalActivity.Name, 7, Failure<InvalidOperationException>("connection reset")));

        var result = await h.RunAsync(InboxJob(timings: NoGrace));

        Assert.Equal(new JobError("submit_failed", "connection reset"), result.Error);
    }

    [Fact]
    public async Task RunAsync_SubmitAnswerLostThenItsWebhook_PublishesSubmittedBeforeTheOutcome()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.OutcomeUnknown(false));
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success(requestId: "fal-req-lost"));
        h.On(StoreVideoActivity.Name, _ => StoredOutcome(announced: true));

        await h.RunAsync(HttpJob());

        var submitted = Assert.Single(h.Events);
        Assert.Equal(JobEventTypes.Submitted, submitted.Type);
        Assert.Equal("fal-req-lost", submitted.Data.FalRequestId);
    }

    // ---- a paid service: lost submit answers, concurrency slots ----

    [Fact]
    public async Task RunAsync_SubmitAnswerLost_WaitsForAnyWebhookAndStoresItsVideoWithoutSubmittingAgain()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.OutcomeUnknown(false));
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success(requestId: "fal-req-lost"));
        h.On(StoreVideoActivity.Name, _ => StoredOutcome());

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Single(h.CallsOf(SubmitToFalActivity.Name));
        Assert.Equal("fal-req-lost", ((StoreVideoInput)Assert.Single(h.CallsOf(StoreVideoActivity.Name)).Input!).FalRequestId);
        Assert.Equal(["fal-req-lost"], result.FalRequestIds);
        Assert.Contains(h.Statuses, s => s.Stage == JobStages.ConfirmingSubmit && s.UnconfirmedSubmit == true);
    }

    [Fact]
    public async Task RunAsync_SubmitAnswerLostTwiceWithoutWebhook_FailsSubmitUnconfirmedAfterTwoSubmits()
    {
        var h = new OrchestrationHarness();
        h.On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.OutcomeUnknown(false));

        var result = await h.RunAsync(HttpJob(timings: Timings with { UnconfirmedSubmitWait = TimeSpan.FromMinutes(3) }));

        Assert.Equal("submit_unconfirmed", result.Error?.Code);
        Assert.Equal(2, h.CallsOf(SubmitToFalActivity.Name).Count());
        Assert.Equal([Start.AddMinutes(3), Start.AddMinutes(6)], h.Timers.Select(t => t.FireAt));
    }

    [Fact]
    public async Task RunAsync_NoSlot_WaitsUntilWokenThenSubmitsAndGivesTheSlotOnWhenStored()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.OnSequence(SubmitToFalActivity.Name,
            new SubmitToFalOutcome.WaitingForSlot(),
            new SubmitToFalOutcome.Submitted(FalRef, 0, default, false, true));
        h.Raised(VideoJobOrchestrator.SlotFreedEvent, "api-other");
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, Success());
        h.On(StoreVideoActivity.Name, _ => StoredOutcome() with { WakeJob = "api-next" });

        var result = await h.RunAsync(HttpJob());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(2, h.CallsOf(SubmitToFalActivity.Name).Count());
        Assert.Contains(h.Statuses, s => s.Stage == JobStages.WaitingForSlot);
        Assert.Empty(h.CallsOf(ReleaseJobSlotActivity.Name)); // the store activity gave it back
        h.Context.Verify(c => c.SendEvent("api-next", VideoJobOrchestrator.SlotFreedEvent, Moq.It.IsAny<object>()), Moq.Times.Once);
    }

    [Fact]
    public async Task RunAsync_FailsHoldingASlot_GivesItBackAndWakesTheNextJob()
    {
        var h = new OrchestrationHarness();
        h.TimersNeverFire();
        h.On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.Submitted(FalRef, 0, default, false, true));
        h.Raised(VideoJobOrchestrator.FalCompletedEvent, new FalCompletion(FalRequestId, false, null, null, null, null, "boom", null));
        h.On(ReleaseJobSlotActivity.Name, _ => "api-next");

        var result = await h.RunAsync(HttpJob());

        Assert.Equal("fal_error", result.Error?.Code);
        Assert.Equal(
            new JobSlot(HttpJob().Id, HttpJob().CreatedAt, ReachedFal: true),
            Assert.Single(h.CallsOf(ReleaseJobSlotActivity.Name)).Input);
        h.Context.Verify(c => c.SendEvent("api-next", VideoJobOrchestrator.SlotFreedEvent, Moq.It.IsAny<object>()), Moq.Times.Once);
    }

    [Fact]
    public async Task RunAsync_BudgetExceeded_FailsWithTheReasonAndNoCost()
    {
        var h = new OrchestrationHarness();
        h.On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.NotSubmitted(
            new JobError("budget_exceeded", "the app's daily budget of $10 would be passed"))
        {
            Cost = new Pipeline.Core.Jobs.JobCost(4, 0.43m),
        });

        var result = await h.RunAsync(InboxJob(timings: NoGrace));

        Assert.Equal("budget_exceeded", result.Error?.Code);
        Assert.Null(result.Cost);
        Assert.Equal(
            new JobSlot(InboxJob().Id, InboxJob().CreatedAt, ReachedFal: false),
            Assert.Single(h.CallsOf(ReleaseJobSlotActivity.Name)).Input);
        var failed = Assert.Single(h.Events);
        Assert.Equal(0m, failed.Data.EstimatedCostUsd);
        Assert.Single(h.CallsOf(WriteErrorMarkerActivity.Name));
    }
}
