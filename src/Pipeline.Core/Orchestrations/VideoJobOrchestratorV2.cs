using Microsoft.DurableTask;
using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Logging;
using Pipeline.Core.Requests;
using Pipeline.Core.Fal;

namespace Pipeline.Core.Orchestrations;

/// <summary>
/// Versions 1 and 2 of the video job, frozen: jobs started by those versions replay and finish with exactly the steps
/// and activities they started with (histories in flight at a deploy). Never change a step here; delete the class
/// when no job of these versions can remain (<see cref="Options.PipelineOptions.JobRetention"/> after the deploy of
/// version 3, or once none is running). Version 1 jobs (started unversioned) take version 1's steps where version 2
/// changed them (<c>JobRun.V1</c>).
/// </summary>
internal static class VideoJobOrchestratorV2
{
    private const string FalCompletedEvent = VideoJobOrchestrator.FalCompletedEvent;
    private const string SlotFreedEvent = VideoJobOrchestrator.SlotFreedEvent;
    private const string CancelEvent = VideoJobOrchestrator.CancelEvent;

    private const string DeadlineEnding = "deadline";
    private const string LostEnding = "lost";

    // Storage and Event Grid: 4 attempts, 2 s then doubling (2, 4, 8 s).
    private static readonly TaskOptions Retried = new(new RetryPolicy(maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2));

    // Copying the video: the same, except that a refused download (a host off the allow-list) is final.
    private static readonly TaskOptions Stored = new(new RetryPolicy(maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2)
    {
        HandleFailure = failure => !failure.IsCausedBy<Storage.DownloadRefusedException>(),
    });

    // Reading a paid result: patient (5 s doubling over about five minutes), since giving up throws the video away.
    private static readonly TaskOptions Fetched = new(new RetryPolicy(maxNumberOfAttempts: 6, firstRetryInterval: TimeSpan.FromSeconds(5), backoffCoefficient: 2));

    // Submitting is retried only when nothing reached fal: a blind second submit could be billed twice (the fal
    // client retries what is safe, and a rerun of the activity finds its own claim).
    private static readonly TaskOptions Submit = new(new RetryPolicy(maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2)
    {
        HandleFailure = SafeToResubmit,
    });

    private static readonly TaskOptions Once = new();

    /// <summary>Submits whose answer was lost before the job gives up (each may have been billed).</summary>
    private const int MaxUnconfirmedSubmits = 2;

    /// <summary>Status calls in a row that fal answers 404 before the job stops waiting for a request fal has lost.</summary>
    private const int MaxLostPolls = 3;

    private static readonly TimeSpan DefaultUnconfirmedSubmitWait = TimeSpan.FromMinutes(10);

    /// <summary>Whether a failed submit may run again: only when it failed before anything was sent to fal.</summary>
    internal static bool SafeToResubmit(TaskFailureDetails failure) => failure.IsCausedBy<NothingSubmittedException>();

    public static async Task<VideoJobResult> RunAsync(TaskOrchestrationContext context, VideoJob job)
    {
        var run = new JobRun(context, job);
        return await run.ExecuteAsync();
    }

    /// <summary>How submitting ended: fal has the job, a lost submit turned out to be queued, or the job is over.</summary>
    private abstract record Submission
    {
        public sealed record AtFal : Submission;

        public sealed record ConfirmedLate(FalCompletion Completion) : Submission;

        public sealed record Over(VideoJobResult Result) : Submission;
    }

    /// <summary>The state of one run; a class so the steps read top to bottom.</summary>
    private sealed class JobRun(TaskOrchestrationContext context, VideoJob job)
    {
        private readonly ILogger _log = context.CreateReplaySafeLogger(typeof(VideoJobOrchestrator));
        private readonly bool _inbox = job.Source.Kind == JobSourceKind.Inbox;
        private VideoMode _mode = job.Mode;
        private FalRequestRef? _fal;
        private Jobs.JobCost? _cost;
        private string? _endUserId = job.Request?.EndUserId;
        private IReadOnlyDictionary<string, string>? _correlation = job.Correlation;
        private bool _holdsSlot;
        private bool _endRecordedInBatch;
        private int _slotWaits;
        private readonly List<string> _falRequestIds = [];
        private int _unconfirmedSubmits;
        private DateTimeOffset? _submittedAt;
        private DateTimeOffset? _falCompletedAt;

        // One waiter per event for the whole job, cancelled when it ends: a cancelled waiter must not swallow a later
        // event (durable-extension#3255), and no waiter may outlive the job.
        private CancellationToken _stopWaiting;
        private Task<CancelRequest>? _cancelWait;
        private Task<FalCompletion>? _webhookWait;
        private Task<string>? _slotFreedWait;

        /// <summary>A job started before versioning: it replays version 1's steps where version 2 changed them.</summary>
        public bool V1 => string.IsNullOrEmpty(context.Version);

        private Task<CancelRequest> CancelWait => _cancelWait ??= context.WaitForExternalEvent<CancelRequest>(CancelEvent, _stopWaiting);

        private Task<string> SlotFreedWait => _slotFreedWait ??= context.WaitForExternalEvent<string>(SlotFreedEvent, _stopWaiting);

        private Task<FalCompletion> WebhookWait => _webhookWait ??= context.WaitForExternalEvent<FalCompletion>(FalCompletedEvent, _stopWaiting);

        /// <summary>Whether any submit of the job may have reached fal (and may be billed).</summary>
        private bool ReachedFal => _fal is not null || _falRequestIds.Count > 0 || _unconfirmedSubmits > 0;

        public async Task<VideoJobResult> ExecuteAsync()
        {
            using var stop = new CancellationTokenSource();
            _stopWaiting = stop.Token;
            // The orchestrator's log lines carry the job too (a scope: nothing the replay depends on).
            using var scope = _log.BeginScope(new Telemetry.JobDimensions(job.Id).Also(job.Mode, _endUserId));
            try
            {
                return await InBatchAsync(await RunJobAsync());
            }
            finally
            {
                stop.Cancel();
            }
        }

        /// <summary>
        /// A job of a batch (a step only such jobs have, so jobs started before batches replay unchanged) records its end
        /// there, unless the store activity did (its recorded outcome says so, so a replay takes the same path).
        /// </summary>
        private async Task<VideoJobResult> InBatchAsync(VideoJobResult result)
        {
            if (job.Batch is not null && !_endRecordedInBatch)
            {
                await TryActivityAsync<bool>(RecordBatchEndActivity.Name, Batches.BatchJobEnd.Of(job, result), Retried);
            }

            return result;
        }

        private async Task<VideoJobResult> RunJobAsync()
        {
            var deadline = context.CurrentUtcDateTime + job.Timings.Deadline;
            if (V1 && _inbox && job.Timings.SidecarGrace > TimeSpan.Zero)
            {
                // Version 1 made every inbox job wait the grace; version 2 lets the drop decide (WaitingForCompanion).
                Progress(JobStages.Preparing);
                await context.CreateTimer(job.Timings.SidecarGrace, CancellationToken.None);
            }

            switch (await SubmitAsync(deadline))
            {
                case Submission.Over over:
                    return over.Result;
                case Submission.ConfirmedLate late:
                    if (!V1)
                    {
                        await PublishAsync(JobEventTypes.Submitted, null, null, null);
                    }

                    return await CompleteAsync(late.Completion);
            }

            var (completion, ending) = await WaitForFalAsync(deadline);
            return completion is not null ? await CompleteAsync(completion) : await StopAtFalAsync(ending!);
        }

        /// <summary>
        /// Submits the job: waits for its drop's companion or for a concurrency slot when the activity says so; after a
        /// submit whose answer was lost, waits for a webhook that names the job before it submits again (at most
        /// <see cref="MaxUnconfirmedSubmits"/> times).
        /// </summary>
        private async Task<Submission> SubmitAsync(DateTime deadline)
        {
            Progress(JobStages.Submitting);
            var companionWaited = V1; // version 1 jobs waited the sidecar grace already
            while (true)
            {
                var outcome = await SubmitOnceAsync(companionWaited);
                if (outcome is null)
                {
                    return new Submission.Over(await FailAsync(_submitFailure!));
                }

                _mode = outcome.Mode ?? _mode;
                _cost = outcome.Cost ?? _cost;
                _endUserId = outcome.EndUserId ?? _endUserId;
                _correlation = outcome.Correlation ?? _correlation;
                switch (outcome)
                {
                    case SubmitToFalOutcome.Superseded:
                        if (!V1)
                        {
                            await SettleAsync(); // a sidecar holds nothing but its place among the open jobs
                        }

                        return new Submission.Over(Result(JobOutcome.Superseded, null, null, null));

                    case SubmitToFalOutcome.NotSubmitted refused:
                        return new Submission.Over(await FailAsync(refused.Error));

                    case SubmitToFalOutcome.WaitingForCompanion companion:
                        Progress(JobStages.Preparing);
                        if (await WaitOrEndAsync(companion.Wait, deadline) is { } endedWaiting)
                        {
                            return new Submission.Over(await EndBeforeFalAsync(endedWaiting, "no request could be made of the drop"));
                        }

                        companionWaited = true;
                        Progress(JobStages.Submitting);
                        continue;

                    case SubmitToFalOutcome.WaitingForSlot:
                        Progress(JobStages.WaitingForSlot);
                        if (await WaitForSlotAsync(SlotBackoff(++_slotWaits), deadline) is { } endedForSlot)
                        {
                            return new Submission.Over(await EndBeforeFalAsync(endedForSlot, "no slot at fal became free (Costs__MaxConcurrentJobs)"));
                        }

                        continue;

                    case SubmitToFalOutcome.Submitted submitted:
                        _holdsSlot = submitted.HoldsSlot;
                        _fal = submitted.Request;
                        Record(_fal.RequestId);
                        _submittedAt = submitted.SubmittedAt == default ? context.CurrentUtcDateTime : submitted.SubmittedAt;
                        Progress(JobStages.Queued, submitted.QueuePosition);
                        if (!submitted.Announced)
                        {
                            await PublishAsync(JobEventTypes.Submitted, null, null, null);
                        }
                        else
                        {
                            Callback(JobEventTypes.Submitted, null, null, null);
                        }

                        return new Submission.AtFal();

                    case SubmitToFalOutcome.OutcomeUnknown unknown:
                        // fal may have queued it, and its webhook names this job: wait for that before sending it again.
                        _holdsSlot = unknown.HoldsSlot;
                        _unconfirmedSubmits++;
                        Progress(JobStages.ConfirmingSubmit);
                        var (delivered, unconfirmedEnding) = await WaitForUnconfirmedSubmitAsync(deadline);
                        if (unconfirmedEnding == CancelEvent)
                        {
                            return new Submission.Over(await CancelledAsync());
                        }

                        if (delivered is not null)
                        {
                            _submittedAt ??= context.CurrentUtcDateTime;
                            return new Submission.ConfirmedLate(delivered);
                        }

                        Progress(JobStages.Submitting);
                        if (unconfirmedEnding is not null || _unconfirmedSubmits >= MaxUnconfirmedSubmits)
                        {
                            return new Submission.Over(await FailAsync(new JobError("submit_unconfirmed",
                                $"fal did not answer {_unconfirmedSubmits} submit(s) and sent no webhook within {job.Timings.UnconfirmedSubmitWait ?? DefaultUnconfirmedSubmitWait}; not submitted again")));
                        }

                        continue;
                }
            }
        }

        /// <summary>Why the submit activity failed when it returned null.</summary>
        private JobError? _submitFailure;

        /// <summary>
        /// One call of the submit activity; null when it failed before anything reached fal (after its retries). Any
        /// other failure may have reached fal, so it is an unknown outcome (version 1 failed the job).
        /// </summary>
        private async Task<SubmitToFalOutcome?> SubmitOnceAsync(bool companionWaited)
        {
            try
            {
                var input = new SubmitToFalInput(
                    JobId: job.Id,
                    Mode: _mode,
                    Request: job.Request,
                    Source: job.Source,
                    Announcement: Planned(JobEventTypes.Submitted, null, null, null),
                    CreatedAt: job.CreatedAt)
                {
                    Attempt = _unconfirmedSubmits + 1,
                    CompanionWaited = companionWaited,
                    Variant = job.Variant,
                };
                return await context.CallActivityAsync<SubmitToFalOutcome>(SubmitToFalActivity.Name, input, Submit);
            }
            catch (TaskFailedException e) when (V1 || e.FailureDetails.IsCausedBy<NothingSubmittedException>())
            {
                var unread = _inbox && e.FailureDetails.IsCausedBy<NothingSubmittedException>();
                _submitFailure = new JobError(unread ? "inbox_unreadable" : "submit_failed", e.FailureDetails.ErrorMessage);
                return null;
            }
            catch (TaskFailedException e)
            {
                _log.ActivityFailed(job.Id, SubmitToFalActivity.Name, e.FailureDetails.ErrorMessage);
                return new SubmitToFalOutcome.OutcomeUnknown(HoldsSlot: true);
            }
        }

        /// <summary>From fal's verdict to the job's end: store the video and announce it, or fail with fal's reason.</summary>
        private async Task<VideoJobResult> CompleteAsync(FalCompletion completion)
        {
            Record(completion.RequestId);
            _falCompletedAt = context.CurrentUtcDateTime;
            if (completion.Succeeded && completion.VideoUrl is null)
            {
                // fal finished but its webhook carried no video (an unserializable payload): the result call has it.
                completion = await FetchResultAsync(completion.RequestId) ?? completion with
                {
                    Succeeded = false,
                    Error = $"fal finished request {completion.RequestId} but its result could not be read",
                    ErrorType = "result_unreadable",
                };
            }

            if (!completion.Succeeded || completion.VideoUrl is null)
            {
                var code = completion.ErrorType switch
                {
                    "client_cancelled" => "fal_cancelled",
                    "result_unreadable" => "video_unavailable",
                    _ => "fal_error",
                };
                return await FailAsync(new JobError(code, completion.Error ?? "fal reported an error without a message"), completion.Seed);
            }

            Progress(JobStages.Storing);
            StoreVideoOutcome stored;
            try
            {
                var input = new StoreVideoInput(
                    JobId: job.Id,
                    Mode: _mode,
                    Source: job.Source,
                    FalRequestId: completion.RequestId,
                    Seed: completion.Seed,
                    VideoUrl: completion.VideoUrl,
                    ContentType: completion.ContentType,
                    OutputBlob: job.OutputBlob)
                {
                    FileSize = completion.FileSize,

                    // Attribution, in the video's metadata; the creation day its spend counts on.
                    EndUserId = _endUserId,
                    Correlation = _correlation,
                    JobCreatedAt = job.CreatedAt,

                    // What follows the copy, in the same activity.
                    Announcement = Planned(JobEventTypes.Succeeded, null, completion.Seed, null),
                    BatchEnd = PlannedBatchEnd(completion.Seed),
                };
                stored = await context.CallActivityAsync<StoreVideoOutcome>(StoreVideoActivity.Name, input, Stored);
                _holdsSlot = false; // given back by the store activity
                _endRecordedInBatch = stored.RecordedInBatch;
                Wake(stored.WakeJob);
            }
            catch (TaskFailedException e)
            {
                return await FailAsync(new JobError("video_unavailable", $"the video could not be copied from fal: {e.FailureDetails.ErrorMessage}"), completion.Seed);
            }

            Progress(JobStages.Finishing);
            var result = Result(JobOutcome.Succeeded, stored.Video, completion.Seed, null);
            if (!stored.Announced)
            {
                await PublishAsync(JobEventTypes.Succeeded, stored.Video, completion.Seed, null);
            }
            else
            {
                Callback(JobEventTypes.Succeeded, stored.Video, completion.Seed, null);
            }

            return result;
        }

        /// <summary>fal's result for a request, read from fal (patiently: it is paid for); null when it could not be read.</summary>
        private async Task<FalCompletion?> FetchResultAsync(string requestId)
        {
            var responseUrl = string.Equals(requestId, _fal?.RequestId, StringComparison.Ordinal) ? _fal!.ResponseUrl : null;
            try
            {
                return await context.CallActivityAsync<FalCompletion>(FetchFalResultActivity.Name, new FalResultQuery(requestId, _mode, responseUrl), Fetched);
            }
            catch (TaskFailedException e)
            {
                _log.ActivityFailed(job.Id, FetchFalResultActivity.Name, e.FailureDetails.ErrorMessage);
                return null;
            }
        }

        /// <summary>
        /// The wait for fal ended without its verdict (a cancel request, the deadline, a request fal lost): the request
        /// is cancelled at fal; a video fal finished meanwhile is kept (it is paid for), else the job ends saying
        /// whether the cancel reached fal.
        /// </summary>
        private async Task<VideoJobResult> StopAtFalAsync(string ending)
        {
            if (ending == LostEnding)
            {
                return await FailAsync(new JobError("fal_request_lost",
                    $"fal does not know request {_fal!.RequestId} (404 on {MaxLostPolls} status calls in a row); there is nothing to wait for"));
            }

            Progress(JobStages.Cancelling);
            var cancelled = await TryActivityAsync<bool>(CancelFalRequestActivity.Name, _fal!);
            if (!V1 && await TryActivityAsync<FalPoll>(CheckFalStatusActivity.Name, _fal!) is { Completion: { Succeeded: true } finished })
            {
                return await CompleteAsync(finished);
            }

            var atFal = cancelled
                ? "the request was cancelled at fal"
                : "cancelling the request at fal failed, so fal may still finish (and bill) it";
            return ending == CancelEvent
                ? await CancelledAsync()
                : await FailAsync(new JobError("deadline_exceeded", $"fal did not finish within {job.Timings.Deadline}; {atFal}"));
        }

        /// <summary>A wait before anything reached fal ended: by a cancel request, or by the deadline.</summary>
        private Task<VideoJobResult> EndBeforeFalAsync(string ending, string what) =>
            ending == CancelEvent
                ? CancelledAsync()
                : FailAsync(new JobError("deadline_exceeded", $"{what} within {job.Timings.Deadline}; nothing was submitted"));

        /// <summary>
        /// Waits for fal's verdict: the webhook event, or, each time the timer wins, a poll. Returns the completion, or
        /// the reason the wait ended without one (<see cref="CancelEvent"/>, the deadline, a request fal lost).
        /// </summary>
        private async Task<(FalCompletion? Completion, string? Ending)> WaitForFalAsync(DateTime deadline)
        {
            var wait = job.Timings.WebhookWait;
            var lostPolls = 0;
            while (true)
            {
                var now = context.CurrentUtcDateTime;
                if (now >= deadline)
                {
                    return (null, DeadlineEnding);
                }

                using var timerCts = new CancellationTokenSource();
                var wakeAt = now + wait < deadline ? now + wait : deadline;
                var timer = context.CreateTimer(wakeAt, timerCts.Token);
                var winner = await Task.WhenAny(WebhookWait, CancelWait, timer);
                if (winner != timer)
                {
                    // An outstanding timer would keep the instance running. Cancel synchronously: an orchestrator
                    // must not await work that completes on another thread (CancelAsync does).
                    timerCts.Cancel();
                }

                if (winner == CancelWait)
                {
                    return (null, CancelEvent);
                }

                if (winner == WebhookWait)
                {
                    var delivered = await TakeWebhookAsync();
                    if (string.Equals(delivered.RequestId, _fal!.RequestId, StringComparison.Ordinal))
                    {
                        return (delivered, null);
                    }

                    if (_unconfirmedSubmits > 0)
                    {
                        // A submit whose answer was lost was queued after all: it is billed, so its video is used
                        // and the later request is cancelled (free while still queued at fal).
                        Record(delivered.RequestId);
                        if (delivered.Succeeded)
                        {
                            await TryActivityAsync<bool>(CancelFalRequestActivity.Name, _fal!);
                            return (delivered, null);
                        }
                    }

                    _log.ForeignWebhookIgnored(job.Id, delivered.RequestId, _fal.RequestId);
                    continue;
                }

                if (context.CurrentUtcDateTime >= deadline)
                {
                    return (null, DeadlineEnding);
                }

                var poll = await TryActivityAsync<FalPoll>(CheckFalStatusActivity.Name, _fal!);
                if (poll?.Completion is { } polled)
                {
                    return (polled, null);
                }

                lostPolls = poll is { NotFound: true } ? lostPolls + 1 : poll is null ? lostPolls : 0;
                if (lostPolls >= MaxLostPolls)
                {
                    return (null, LostEnding);
                }

                if (poll is { NotFound: false })
                {
                    Progress(poll.State == Fal.FalRequestState.InQueue ? JobStages.Queued : JobStages.Running, poll.QueuePosition);
                }

                wait = job.Timings.PollInterval;
            }
        }

        /// <summary>Takes the delivered webhook; the next one gets a new waiter.</summary>
        private async Task<FalCompletion> TakeWebhookAsync()
        {
            var delivered = await WebhookWait;
            _webhookWait = null;
            return delivered;
        }

        /// <summary>
        /// How long a job waits before it looks for a slot again: the interval, doubling up to 16 times it, spread by
        /// ±25 % so that a hundred waiting jobs do not look all at once and flood the engine with turns. The spread comes
        /// from the job's id and the attempt, not from a random number, so replays see the same waits.
        /// </summary>
        private TimeSpan SlotBackoff(int attempt)
        {
            var interval = job.Timings.SlotRetry ?? TimeSpan.FromSeconds(10);
            var hash = 2166136261u;
            foreach (var c in $"{job.Id}/{attempt}")
            {
                hash = (hash ^ c) * 16777619u;
            }

            var spread = 0.75 + (hash % 1000 / 2000.0);
            return interval * Math.Min(1 << Math.Min(attempt - 1, 4), 16) * spread;
        }

        /// <summary>
        /// Waits until a job that gave its slot back wakes this one, or <paramref name="fallback"/> passes (a wake-up
        /// lost with a job that died); returns null, or why the wait ended (a cancel request, the deadline).
        /// </summary>
        private async Task<string?> WaitForSlotAsync(TimeSpan fallback, DateTime deadline)
        {
            var now = context.CurrentUtcDateTime;
            if (now >= deadline)
            {
                return DeadlineEnding;
            }

            using var timerCts = new CancellationTokenSource();
            var timer = context.CreateTimer(now + fallback < deadline ? now + fallback : deadline, timerCts.Token);
            var winner = await Task.WhenAny(SlotFreedWait, CancelWait, timer);
            if (winner != timer)
            {
                timerCts.Cancel();
            }

            if (winner == SlotFreedWait)
            {
                _slotFreedWait = null;
                return null;
            }

            return winner == CancelWait ? CancelEvent : context.CurrentUtcDateTime >= deadline ? DeadlineEnding : null;
        }

        /// <summary>Waits <paramref name="wait"/> (at most until the deadline); returns null, or why the wait ended early.</summary>
        private async Task<string?> WaitOrEndAsync(TimeSpan wait, DateTime deadline)
        {
            var now = context.CurrentUtcDateTime;
            using var timerCts = new CancellationTokenSource();
            var timer = context.CreateTimer(now + wait < deadline ? now + wait : deadline, timerCts.Token);
            var winner = await Task.WhenAny(CancelWait, timer);
            if (winner != timer)
            {
                timerCts.Cancel();
                return CancelEvent;
            }

            return context.CurrentUtcDateTime >= deadline ? DeadlineEnding : null;
        }

        /// <summary>
        /// Wakes the job waiting longest for the slot this one gave back (an orchestration-to-orchestration event, no
        /// I/O here).
        /// </summary>
        private void Wake(string? jobId)
        {
            if (jobId is not null && jobId != job.Id)
            {
                context.SendEvent(jobId, SlotFreedEvent, job.Id);
            }
        }

        /// <summary>
        /// After a submit whose answer was lost: waits for any webhook for this job (it names the job, whatever request
        /// id fal gave it) until <see cref="JobTimings.UnconfirmedSubmitWait"/> or the deadline; a cancel request ends it.
        /// </summary>
        private async Task<(FalCompletion? Completion, string? Ending)> WaitForUnconfirmedSubmitAsync(DateTime deadline)
        {
            using var timerCts = new CancellationTokenSource();
            var wakeAt = context.CurrentUtcDateTime + (job.Timings.UnconfirmedSubmitWait ?? DefaultUnconfirmedSubmitWait);
            var timer = context.CreateTimer(wakeAt < deadline ? wakeAt : deadline, timerCts.Token);
            var winner = await Task.WhenAny(WebhookWait, CancelWait, timer);
            if (winner != timer)
            {
                timerCts.Cancel();
            }

            if (winner == WebhookWait)
            {
                var delivered = await TakeWebhookAsync();
                Record(delivered.RequestId);
                return (delivered, null);
            }

            return (null, winner == CancelWait ? CancelEvent : context.CurrentUtcDateTime >= deadline ? DeadlineEnding : null);
        }

        private void Record(string requestId)
        {
            if (!_falRequestIds.Contains(requestId))
            {
                _falRequestIds.Add(requestId);
            }
        }

        private string? FalRequestId => _fal?.RequestId ?? _falRequestIds.LastOrDefault();

        private async Task<VideoJobResult> FailAsync(JobError error, long? seed = null)
        {
            Progress(JobStages.Finishing);
            await SettleAsync();
            await MarkInboxFailureAsync(JobOutcome.Failed, error);
            var result = Result(JobOutcome.Failed, null, seed, error);
            await PublishAsync(JobEventTypes.Failed, null, seed, error);
            return result;
        }

        private async Task<VideoJobResult> CancelledAsync()
        {
            await SettleAsync();
            var error = new JobError("cancelled", "the job was cancelled by request");
            await MarkInboxFailureAsync(JobOutcome.Cancelled, error);
            var result = Result(JobOutcome.Cancelled, null, null, error);
            await PublishAsync(JobEventTypes.Cancelled, null, null, error);
            return result;
        }

        /// <summary>
        /// A job that ends without a stored video gives back what it holds: its concurrency slot (or its place on the
        /// waiting list) and, when fal never had it, its spending reservation (storing settles the job otherwise).
        /// </summary>
        private async Task SettleAsync()
        {
            if (V1)
            {
                // Version 1 settled only a job that held a slot or waited for one.
                if (_holdsSlot || (_slotWaits > 0 && _fal is null && _falRequestIds.Count == 0))
                {
                    _holdsSlot = false;
                    Wake(await TryActivityAsync<string?>(ReleaseJobSlotActivity.Name, new JobSlot(job.Id, job.CreatedAt), Retried));
                }

                return;
            }

            _holdsSlot = false;
            Wake(await TryActivityAsync<string?>(ReleaseJobSlotActivity.Name, new JobSlot(job.Id, job.CreatedAt, ReachedFal), Retried));
        }

        /// <summary>Inbox users look at the videos folder, so a job without a video leaves its reason there.</summary>
        private async Task MarkInboxFailureAsync(JobOutcome outcome, JobError error)
        {
            if (_inbox)
            {
                await TryActivityAsync<string>(WriteErrorMarkerActivity.Name,
                    new ErrorMarkerInput(job.Id, job.Source, job.OutputBlob, outcome, error, FalRequestId), Retried);
            }
        }

        private Task<bool> PublishAsync(string type, StoredVideo? video, long? seed, JobError? error)
        {
            Callback(type, video, seed, error);
            return TryActivityAsync<bool>(PublishJobEventActivity.Name, Planned(type, video, seed, error), Retried);
        }

        /// <summary>
        /// Hands the event to the job's callback orchestration (a message, not a wait: the job never waits for its
        /// receiver). Only jobs with a callback do this, so jobs started before callbacks replay unchanged.
        /// </summary>
        private void Callback(string type, StoredVideo? video, long? seed, JobError? error)
        {
            if (job.Callback is not null)
            {
                context.SendEvent(JobCallbacksOrchestrator.InstanceIdFor(job.Id), JobCallbacksOrchestrator.EventName, Planned(type, video, seed, error));
            }
        }

        /// <summary>The event as the orchestration knows it now; an activity that announces it fills in what it learns.</summary>
        private JobEvent Planned(string type, StoredVideo? video, long? seed, JobError? error)
        {
            var terminal = type != JobEventTypes.Submitted;
            var data = new JobEventData(
                Id: job.Id,
                Mode: _mode,
                Source: job.Source.ToString(),
                FalRequestId: FalRequestId,
                Video: video,
                Seed: seed,
                Error: error,
                Timings: new JobTimeline(job.CreatedAt, _submittedAt, _falCompletedAt, terminal ? context.CurrentUtcDateTime : null))
            {
                EndUserId = _endUserId,
                Correlation = _correlation,
                // What fal bills: nothing for a job it never accepted.
                VideoSeconds = terminal && !ReachedFal ? 0 : _cost?.VideoSeconds,
                EstimatedCostUsd = terminal && !ReachedFal ? 0 : _cost?.EstimatedUsd,
                Batch = job.Batch,
                Variant = job.Variant,
            };
            return new JobEvent(type, JobEvent.SubjectOf(job), context.CurrentUtcDateTime, data);
        }

        /// <summary>Runs an activity whose failure must not end the job; logs and returns default when it fails for good.</summary>
        private async Task<T?> TryActivityAsync<T>(string name, object input, TaskOptions? options = null)
        {
            try
            {
                return await context.CallActivityAsync<T>(name, input, options ?? Once);
            }
            catch (TaskFailedException e)
            {
                _log.ActivityFailed(job.Id, name, e.FailureDetails.ErrorMessage);
                return default;
            }
        }

        private void Progress(string stage, int? queuePosition = null) =>
            context.SetCustomStatus(new JobProgress(stage, _mode, FalRequestId, queuePosition, _unconfirmedSubmits > 0 ? true : null,
                _falRequestIds.Count > 0 ? [.. _falRequestIds] : null));

        /// <summary>A batch job's success as its batch records it, for the store activity to write with the video's name.</summary>
        private Batches.BatchJobEnd? PlannedBatchEnd(long? seed) =>
            job.Batch is null ? null : Batches.BatchJobEnd.Succeeded(job, seed, _cost?.EstimatedUsd);

        private VideoJobResult Result(JobOutcome outcome, StoredVideo? video, long? seed, JobError? error)
        {
            _log.JobEnded(job.Id, _mode, outcome, error?.Code ?? "none", FalRequestId ?? "none");
            return new(
                Id: job.Id,
                Mode: _mode,
                Outcome: outcome,
                FalRequestId: FalRequestId,
                Video: video,
                Seed: seed,
                Error: error,
                SubmittedAt: _submittedAt)
            {
                FalCompletedAt = _falCompletedAt,
                FinishedAt = context.CurrentUtcDateTime,
                FalRequestIds = _falRequestIds.Count > 0 ? [.. _falRequestIds] : null,
                Cost = ReachedFal ? _cost : null,
                EndUserId = _endUserId,
                Correlation = _correlation,
            };
        }
    }
}
