using Microsoft.DurableTask;
using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Logging;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Orchestrations;

/// <summary>The payload of a cancel request sent to a running job.</summary>
public sealed record CancelRequest(string Reason);

/// <summary>
/// One video job, from request to stored video. Started before anything is submitted, so fal's webhook always finds
/// it. Submit → wait for the webhook (an external event) raced with a durable timer; when the timer wins, poll fal and
/// wait again; a cancel request or the job's deadline cancels the fal request → store the video → publish the
/// terminal event. Every job returns exactly one <see cref="VideoJobResult"/>; failures are outcomes, not exceptions.
/// Deterministic: time from the context, intervals from the input, all I/O in activities.
/// </summary>
public static class VideoJobOrchestrator
{
    public const string Name = "VideoJob";

    /// <summary>Raised by the webhook endpoint with a <see cref="FalCompletion"/>.</summary>
    public const string FalCompletedEvent = "FalCompleted";

    /// <summary>Raised by <c>DELETE /api/videos/{id}</c> with a <see cref="CancelRequest"/>.</summary>
    public const string CancelEvent = "CancelRequested";

    // Storage and Event Grid: 4 attempts, 2 s then doubling (2, 4, 8 s).
    private static readonly TaskOptions Retried = new(new RetryPolicy(maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2));

    // Copying the video: the same, except that a refused download (a host off the allow-list) is final.
    private static readonly TaskOptions Stored = new(new RetryPolicy(maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2)
    {
        HandleFailure = failure => !failure.IsCausedBy<Storage.DownloadRefusedException>(),
    });

    // Submitting is retried only when nothing reached fal: a blind second submit could be billed twice (the fal
    // client retries what is safe).
    private static readonly TaskOptions Submit = new(new RetryPolicy(maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2)
    {
        HandleFailure = SafeToResubmit,
    });

    private static readonly TaskOptions Once = new();

    /// <summary>Whether a failed submit may run again: only when it failed before anything was sent to fal.</summary>
    internal static bool SafeToResubmit(TaskFailureDetails failure) => failure.IsCausedBy<NothingSubmittedException>();

    public static async Task<VideoJobResult> RunAsync(TaskOrchestrationContext context, VideoJob job)
    {
        var run = new JobRun(context, job);
        return await run.ExecuteAsync();
    }

    /// <summary>The state of one run; a class so the steps read top to bottom.</summary>
    private sealed class JobRun(TaskOrchestrationContext context, VideoJob job)
    {
        private readonly ILogger _log = context.CreateReplaySafeLogger(typeof(VideoJobOrchestrator));
        private VideoMode _mode = job.Mode;
        private FalRequestRef? _fal;
        private DateTimeOffset? _submittedAt;
        private DateTimeOffset? _falCompletedAt;

        public async Task<VideoJobResult> ExecuteAsync()
        {
            var deadline = context.CurrentUtcDateTime + job.Timings.Deadline;
            var inbox = job.Source.Kind == JobSourceKind.Inbox;
            if (inbox && job.Timings.SidecarGrace > TimeSpan.Zero)
            {
                // Lets a sidecar uploaded just after its image (or an image just after its sidecar) be seen.
                Progress(JobStages.Preparing);
                await context.CreateTimer(job.Timings.SidecarGrace, CancellationToken.None);
            }

            // One activity reads an inbox drop, submits and announces: each activity costs the engine two turns.
            Progress(JobStages.Submitting);
            SubmitToFalOutcome submitted;
            try
            {
                submitted = await context.CallActivityAsync<SubmitToFalOutcome>(SubmitToFalActivity.Name,
                    new SubmitToFalInput(job.Id, _mode, job.Request, job.Source, Planned(JobEventTypes.Submitted, null, null, null)), Submit);
            }
            catch (TaskFailedException e)
            {
                var code = inbox && e.FailureDetails.IsCausedBy<NothingSubmittedException>() ? "inbox_unreadable" : "submit_failed";
                return await FailAsync(new JobError(code, e.FailureDetails.ErrorMessage));
            }

            _mode = submitted.Mode ?? _mode;
            if (submitted.Superseded)
            {
                return Result(JobOutcome.Superseded, null, null, null);
            }

            if (submitted.Request is null)
            {
                return await FailAsync(submitted.Error ?? new JobError("fal_rejected", "fal did not accept the request"));
            }

            _fal = submitted.Request;
            _submittedAt = submitted.SubmittedAt ?? context.CurrentUtcDateTime;
            Progress(JobStages.Queued, submitted.QueuePosition);
            if (!submitted.Announced)
            {
                await PublishAsync(JobEventTypes.Submitted, null, null, null);
            }

            var (completion, ending) = await WaitForFalAsync(deadline);
            if (ending is not null)
            {
                Progress(JobStages.Cancelling);
                await TryActivityAsync<bool>(CancelFalRequestActivity.Name, _fal);
                return ending == CancelEvent
                    ? await CancelledAsync()
                    : await FailAsync(new JobError("deadline_exceeded", $"fal did not finish within {job.Timings.Deadline}; the request was cancelled at fal"));
            }

            _falCompletedAt = context.CurrentUtcDateTime;
            if (!completion!.Succeeded || completion.VideoUrl is null)
            {
                var code = completion.ErrorType == "client_cancelled" ? "fal_cancelled" : "fal_error";
                return await FailAsync(new JobError(code, completion.Error ?? "fal reported an error without a message"), completion.Seed);
            }

            Progress(JobStages.Storing);
            StoreVideoOutcome stored;
            try
            {
                stored = await context.CallActivityAsync<StoreVideoOutcome>(StoreVideoActivity.Name, new StoreVideoInput(
                    job.Id, _mode, job.Source, _fal.RequestId, completion.Seed, completion.VideoUrl, completion.ContentType, job.OutputBlob, completion.FileSize,
                    Planned(JobEventTypes.Succeeded, null, completion.Seed, null)), Stored);
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

            return result;
        }

        /// <summary>
        /// Waits for fal's verdict: the webhook event, or, each time the timer wins, a poll. Returns the completion, or
        /// the reason the wait ended without one (<see cref="CancelEvent"/> or "deadline").
        /// </summary>
        private async Task<(FalCompletion? Completion, string? Ending)> WaitForFalAsync(DateTime deadline)
        {
            // One waiter per event for the whole wait: a cancelled waiter must not swallow a later event (durable-extension#3255).
            using var stopWaiting = new CancellationTokenSource();
            var webhook = context.WaitForExternalEvent<FalCompletion>(FalCompletedEvent, stopWaiting.Token);
            var cancel = context.WaitForExternalEvent<CancelRequest>(CancelEvent, stopWaiting.Token);
            var wait = job.Timings.WebhookWait;
            try
            {
                while (true)
                {
                    var now = context.CurrentUtcDateTime;
                    if (now >= deadline)
                    {
                        return (null, "deadline");
                    }

                    using var timerCts = new CancellationTokenSource();
                    var wakeAt = now + wait < deadline ? now + wait : deadline;
                    var timer = context.CreateTimer(wakeAt, timerCts.Token);
                    var winner = await Task.WhenAny(webhook, cancel, timer);
                    if (winner != timer)
                    {
                        // An outstanding timer would keep the instance running. Cancel synchronously: an orchestrator
                        // must not await work that completes on another thread (CancelAsync does).
                        timerCts.Cancel();
                    }

                    if (winner == cancel)
                    {
                        return (null, CancelEvent);
                    }

                    if (winner == webhook)
                    {
                        var delivered = await webhook;
                        if (string.Equals(delivered.RequestId, _fal!.RequestId, StringComparison.Ordinal))
                        {
                            return (delivered, null);
                        }

                        _log.ForeignWebhookIgnored(job.Id, delivered.RequestId, _fal.RequestId);
                        webhook = context.WaitForExternalEvent<FalCompletion>(FalCompletedEvent, stopWaiting.Token);
                        continue;
                    }

                    if (context.CurrentUtcDateTime >= deadline)
                    {
                        return (null, "deadline");
                    }

                    var poll = await TryActivityAsync<FalPoll>(CheckFalStatusActivity.Name, _fal!);
                    if (poll?.Completion is { } polled)
                    {
                        return (polled, null);
                    }

                    if (poll is not null)
                    {
                        Progress(poll.State == Fal.FalRequestState.InQueue ? JobStages.Queued : JobStages.Running, poll.QueuePosition);
                    }

                    wait = job.Timings.PollInterval;
                }
            }
            finally
            {
                stopWaiting.Cancel();
            }
        }

        private async Task<VideoJobResult> FailAsync(JobError error, long? seed = null)
        {
            Progress(JobStages.Finishing);
            await MarkInboxFailureAsync(JobOutcome.Failed, error);
            var result = Result(JobOutcome.Failed, null, seed, error);
            await PublishAsync(JobEventTypes.Failed, null, seed, error);
            return result;
        }

        private async Task<VideoJobResult> CancelledAsync()
        {
            var error = new JobError("cancelled", "the job was cancelled by request");
            await MarkInboxFailureAsync(JobOutcome.Cancelled, error);
            var result = Result(JobOutcome.Cancelled, null, null, error);
            await PublishAsync(JobEventTypes.Cancelled, null, null, error);
            return result;
        }

        /// <summary>Inbox users look at the videos folder, so a job without a video leaves its reason there.</summary>
        private async Task MarkInboxFailureAsync(JobOutcome outcome, JobError error)
        {
            if (job.Source.Kind == JobSourceKind.Inbox)
            {
                await TryActivityAsync<string>(WriteErrorMarkerActivity.Name,
                    new ErrorMarkerInput(job.Id, job.Source, job.OutputBlob, outcome, error, _fal?.RequestId), Retried);
            }
        }

        private Task<bool> PublishAsync(string type, StoredVideo? video, long? seed, JobError? error) =>
            TryActivityAsync<bool>(PublishJobEventActivity.Name, Planned(type, video, seed, error), Retried);

        /// <summary>The event as the orchestration knows it now; an activity that announces it fills in what it learns.</summary>
        private JobEvent Planned(string type, StoredVideo? video, long? seed, JobError? error)
        {
            var subject = job.Source.Kind == JobSourceKind.Inbox ? $"videos/{job.OutputBlob}" : $"videos/{job.Id}";
            var data = new JobEventData(job.Id, _mode, job.Source.ToString(), _fal?.RequestId, video, seed, error,
                new JobTimeline(job.CreatedAt, _submittedAt, _falCompletedAt, type == JobEventTypes.Submitted ? null : context.CurrentUtcDateTime));
            return new JobEvent(type, subject, context.CurrentUtcDateTime, data);
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
            context.SetCustomStatus(new JobProgress(stage, _mode, _fal?.RequestId, queuePosition));

        private VideoJobResult Result(JobOutcome outcome, StoredVideo? video, long? seed, JobError? error)
        {
            _log.JobEnded(job.Id, _mode, outcome);
            return new(job.Id, _mode, outcome, _fal?.RequestId, video, seed, error, _submittedAt, _falCompletedAt, context.CurrentUtcDateTime);
        }
    }
}
