using Microsoft.DurableTask;
using Pipeline.Core.Activities;
using Pipeline.Core.Jobs;
using Pipeline.Core.Logging;

namespace Pipeline.Core.Orchestrations;

/// <summary>
/// A version 3 video job, told as a story of small steps: submit (waiting for a slot, a drop's companion, or fal to
/// come back; confirming a submit whose answer was lost) → wait for fal's verdict (its webhook, or a poll when the timer
/// wins) → store the video, or stop at fal → announce → settle. Every job returns exactly one
/// <see cref="VideoJobResult"/>; failures are outcomes, not exceptions. Deterministic: time from the context, intervals
/// from the input, all I/O in steps, whose answers must name the question (<see cref="StepCaller"/>). Patience matches
/// the stake: a submit that reached nothing waits for fal on durable timers, and a video fal made (and bills) is copied
/// until fal's retention of it ends.
/// </summary>
internal sealed partial class VideoJobRun
{
    private static readonly TimeSpan DefaultFalUnavailableWait = TimeSpan.FromHours(1);
    private static readonly TimeSpan DefaultFalRetention = TimeSpan.FromHours(24);

    /// <summary>Bookkeeping steps (slots, markers, batches) wait for storage this long; events, which must arrive, a day.</summary>
    private static readonly TimeSpan BookkeepingPatience = TimeSpan.FromHours(1);
    private static readonly TimeSpan EventPatience = TimeSpan.FromHours(24);

    private readonly TaskOrchestrationContext _context;
    private readonly VideoJob _job;
    private readonly ILogger _log;
    private readonly StepCaller _steps;
    private readonly bool _inbox;
    private JobState _state;

    public VideoJobRun(TaskOrchestrationContext context, VideoJob job)
    {
        _context = context;
        _job = job;
        _log = context.CreateReplaySafeLogger(typeof(VideoJobOrchestrator));
        _steps = new StepCaller(context, job.Id, _log);
        _inbox = job.Source.Kind == JobSourceKind.Inbox;
        _state = new JobState(job.Mode, job.Request?.EndUserId, job.Correlation, job.OutputBlob);
    }

    private DateTime Now => _context.CurrentUtcDateTime;

    public async Task<VideoJobResult> RunAsync()
    {
        using var stop = new CancellationTokenSource();
        _stopWaiting = stop.Token;
        // The orchestrator's log lines carry the job too (a scope: nothing the replay depends on).
        using var scope = _log.BeginScope(new Telemetry.JobDimensions(_job.Id).Also(_job.Mode, _state.EndUserId));
        try
        {
            var result = await StoryAsync();
            await RecordInBatchAsync(result);
            return result;
        }
        finally
        {
            stop.Cancel(); // no waiter outlives the job
        }
    }

    private async Task<VideoJobResult> StoryAsync()
    {
        _state = _state with { Deadline = Now + _job.Timings.Deadline };
        while (true)
        {
            var verdict = await SubmitAsync() switch
            {
                Submission.Over over => new FalVerdict.Over(over.Result),
                Submission.Finished finished => new FalVerdict.Finished(finished.Completion),
                _ => await WaitForFalAsync(),
            };
            if (verdict is FalVerdict.Finished { Completion: var failed } && CouldNotFetchOurInputs(failed))
            {
                var couldNotFetch = new JobError("fal_error", failed.Error ?? "fal could not download the job's inputs");
                if (await WaitForFalToReturnAsync(couldNotFetch) is { } gaveUp)
                {
                    return gaveUp;
                }

                continue; // storage was away when fal fetched the inputs: that request ended unbilled, so the job submits again
            }

            return verdict switch
            {
                FalVerdict.Over over => over.Result,
                FalVerdict.Finished finished => await CompleteAsync(finished.Completion),
                FalVerdict.Stopped stopped => await StopAtFalAsync(stopped.Why),
                var other => throw new InvalidOperationException($"unexpected verdict {other}"),
            };
        }
    }

    /// <summary>
    /// fal could not download inputs the pipeline serves itself (inbox files and uploads, as signed URLs of its own
    /// storage): its storage was away, not the request wrong.
    /// </summary>
    private bool CouldNotFetchOurInputs(FalCompletion completion) =>
        !completion.Succeeded && completion.ErrorType == "file_download_error"
        && (_inbox || (_job.Request?.Urls().Any(u => Requests.BlobReference.TryParse(u.Url, out _)) ?? false));

    /// <summary>How submitting ended: fal has the job, fal already finished it, or the job is over.</summary>
    private abstract record Submission
    {
        public sealed record AtFal : Submission;

        public sealed record Finished(FalCompletion Completion) : Submission;

        public sealed record Over(VideoJobResult Result) : Submission;
    }

    /// <summary>How waiting for fal ended: its verdict on the job, or a reason to stop waiting.</summary>
    private abstract record FalVerdict
    {
        public sealed record Finished(FalCompletion Completion) : FalVerdict;

        public sealed record Stopped(StopReason Why) : FalVerdict;

        /// <summary>The job ended before fal had a say (refused, cancelled, out of time).</summary>
        public sealed record Over(VideoJobResult Result) : FalVerdict;
    }

    private enum StopReason
    {
        Cancelled,
        DeadlinePassed,
        Lost,
    }

    private TimeSpan FalRetention => _job.Timings.FalRetention ?? DefaultFalRetention;

    private Patience Bookkeeping => new(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), Now + BookkeepingPatience);

    /// <summary>A video fal made is paid for: its result is read and copied until fal's retention of it ends.</summary>
    private Patience PaidFor => new(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10),
        (_state.FalCompletedAt ?? new DateTimeOffset(Now, TimeSpan.Zero)).UtcDateTime + FalRetention);

    private void Progress(string stage, int? queuePosition = null, JobRetry? retrying = null) =>
        _context.SetCustomStatus(new JobProgress(
            stage,
            _state.Mode,
            _state.LastRequestId,
            queuePosition,
            _state.Unconfirmed > 0 ? true : null,
            _state.RequestIds.Count > 0 ? [.. _state.RequestIds] : null,
            retrying,
            _job.Request is null ? _state.Prompt : null));

    private VideoJobResult Result(JobOutcome outcome, StoredVideo? video, long? seed, JobError? error)
    {
        _log.JobEnded(_job.Id, _state.Mode, outcome, error?.Code ?? "none", _state.LastRequestId ?? "none");
        return new(
            Id: _job.Id,
            Mode: _state.Mode,
            Outcome: outcome,
            FalRequestId: _state.LastRequestId,
            Video: video,
            Seed: seed,
            Error: error,
            SubmittedAt: _state.SubmittedAt)
        {
            FalCompletedAt = _state.FalCompletedAt,
            FinishedAt = Now,
            FalRequestIds = _state.RequestIds.Count > 0 ? [.. _state.RequestIds] : null,
            Cost = _state.ReachedFal ? _state.Cost : null,
            EndUserId = _state.EndUserId,
            Correlation = _state.Correlation,
            Prompt = _job.Request is null ? _state.Prompt : null,
        };
    }
}
