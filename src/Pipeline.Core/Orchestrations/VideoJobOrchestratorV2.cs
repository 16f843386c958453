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
/// changed them (<c>JobRun.V1</c>). This file holds the run's state, its outline and the helpers its steps share;
/// submitting, waiting and ending are in the sibling files <c>VideoJobOrchestratorV2.Submit</c>, <c>.Waits</c> and
/// <c>.End</c>.
/// </summary>
internal static partial class VideoJobOrchestratorV2
{
    private const string FalCompletedEvent = VideoJobOrchestrator.FalCompletedEvent;
    private const string SlotFreedEvent = VideoJobOrchestrator.SlotFreedEvent;
    private const string CancelEvent = VideoJobOrchestrator.CancelEvent;

    private const string DeadlineEnding = "deadline";
    private const string LostEnding = "lost";

    // Storage and Event Grid: 4 attempts, 2 s then doubling (2, 4, 8 s).
    private static readonly TaskOptions Retried = new(
        new RetryPolicy(maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2));

    // Copying the video: the same, except that a refused download (a host off the allow-list) is final.
    private static readonly TaskOptions Stored = new(
        new RetryPolicy(maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2)
        {
            HandleFailure = failure => !failure.IsCausedBy<Storage.DownloadRefusedException>(),
        });

    // Reading a paid result: patient (5 s doubling over about five minutes), since giving up throws the video away.
    private static readonly TaskOptions Fetched = new(
        new RetryPolicy(maxNumberOfAttempts: 6, firstRetryInterval: TimeSpan.FromSeconds(5), backoffCoefficient: 2));

    // Submitting is retried only when nothing reached fal: a blind second submit could be billed twice (the fal
    // client retries what is safe, and a rerun of the activity finds its own claim).
    private static readonly TaskOptions Submit = new(
        new RetryPolicy(maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2)
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

    /// <summary>The state of one run; a class so the steps read top to bottom.</summary>
    private sealed partial class JobRun(TaskOrchestrationContext context, VideoJob job)
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

        /// <summary>A job started before versioning: it replays version 1's steps where version 2 changed them.</summary>
        public bool V1 => string.IsNullOrEmpty(context.Version);

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

        private void Record(string requestId)
        {
            if (!_falRequestIds.Contains(requestId))
            {
                _falRequestIds.Add(requestId);
            }
        }

        private string? FalRequestId => _fal?.RequestId ?? _falRequestIds.LastOrDefault();

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
                context.SendEvent(
                    JobCallbacksOrchestrator.InstanceIdFor(job.Id),
                    JobCallbacksOrchestrator.EventName,
                    Planned(type, video, seed, error));
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
