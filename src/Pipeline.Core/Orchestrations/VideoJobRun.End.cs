using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Logging;
using Pipeline.Core.Steps;

namespace Pipeline.Core.Orchestrations;

/// <summary>How a job ends: settle what it holds, tell the inbox user, announce, and record it in its batch.</summary>
internal sealed partial class VideoJobRun
{
    private async Task<VideoJobResult> FailAsync(JobError error, long? seed = null)
    {
        Progress(JobStages.Finishing);
        await SettleAsync();
        await MarkInboxFailureAsync(JobOutcome.Failed, error);
        var result = Result(JobOutcome.Failed, null, seed, error);
        await AnnounceAsync(JobEventTypes.Failed, null, seed, error);
        return result;
    }

    private async Task<VideoJobResult> CancelledAsync()
    {
        await SettleAsync();
        var error = new JobError("cancelled", "the job was cancelled by request");
        await MarkInboxFailureAsync(JobOutcome.Cancelled, error);
        var result = Result(JobOutcome.Cancelled, null, null, error);
        await AnnounceAsync(JobEventTypes.Cancelled, null, null, error);
        return result;
    }

    /// <summary>
    /// A job that ends without a stored video gives back what it holds: its concurrency slot (or its place on the
    /// waiting list) and, when fal never had it, its spending reservation (the store step settles a job otherwise).
    /// </summary>
    private async Task SettleAsync()
    {
        _state = _state with { HoldsSlot = false };
        var settled = await _steps.PatientlyAsync<string?>(
            JobSteps.Settle, new JobSlot(_job.Id, _job.CreatedAt, _state.ReachedFal), Bookkeeping, _ => false);
        Wake(settled.ValueOrDefault);
        LogIfGaveUp(JobSteps.Settle, settled);
    }

    /// <summary>Inbox users look at the videos folder, so a job without a video leaves its reason there.</summary>
    private async Task MarkInboxFailureAsync(JobOutcome outcome, JobError error)
    {
        if (_inbox)
        {
            var marker = new ErrorMarkerInput(_job.Id, _job.Source, _state.OutputBlob, outcome, error, _state.LastRequestId);
            LogIfGaveUp(JobSteps.MarkFailure, await _steps.PatientlyAsync<string>(JobSteps.MarkFailure, marker, Bookkeeping, _ => false));
        }
    }

    /// <summary>
    /// Publishes the event, or leaves it in the outbox for delivery later (Event Grid away): the job never waits for the
    /// topic, only for storage to keep the event. Once one event of the job waits there, the later ones queue behind it.
    /// </summary>
    private async Task AnnounceAsync(string type, StoredVideo? video, long? seed, JobError? error)
    {
        Callback(type, video, seed, error);
        var announcement = new JobAnnouncement(Planned(type, video, seed, error), _state.EventsKept);
        var announced = await _steps.PatientlyAsync<AnnounceOutcome>(JobSteps.Announce, announcement,
            Bookkeeping with { GiveUpAt = Now + EventPatience }, _ => false);
        _state = _state with { EventsKept = _state.EventsKept || announced.ValueOrDefault == AnnounceOutcome.Kept };
        LogIfGaveUp(JobSteps.Announce, announced);
    }

    /// <summary>
    /// A job of a batch records its end there, unless the store step did (its recorded answer says so, so a replay takes
    /// the same path).
    /// </summary>
    private async Task RecordInBatchAsync(VideoJobResult result)
    {
        if (_job.Batch is not null && !_state.RecordedInBatch)
        {
            LogIfGaveUp(JobSteps.RecordInBatch,
                await _steps.PatientlyAsync<bool>(JobSteps.RecordInBatch, Batches.BatchJobEnd.Of(_job, result), Bookkeeping, _ => false));
        }
    }

    private void LogIfGaveUp<T>(string step, StepResult<T> result)
    {
        if (result is StepResult<T>.Failed failed)
        {
            _log.ActivityFailed(_job.Id, step, failed.Failure.Message);
        }
    }

    /// <summary>
    /// Hands the event to the job's callback orchestration (a message, not a wait: the job never waits for its
    /// receiver). Only jobs with a callback do this.
    /// </summary>
    private void Callback(string type, StoredVideo? video, long? seed, JobError? error)
    {
        if (_job.Callback is not null)
        {
            _context.SendEvent(
                JobCallbacksOrchestrator.InstanceIdFor(_job.Id),
                JobCallbacksOrchestrator.EventName,
                Planned(type, video, seed, error));
        }
    }

    /// <summary>The event as the orchestration knows it now; a step that announces it fills in what it learns.</summary>
    private JobEvent Planned(string type, StoredVideo? video, long? seed, JobError? error)
    {
        var terminal = type != JobEventTypes.Submitted;
        var billed = !terminal || _state.ReachedFal; // what fal bills: nothing for a job it never accepted
        var data = new JobEventData(
            Id: _job.Id,
            Mode: _state.Mode,
            Source: _job.Source.ToString(),
            FalRequestId: _state.LastRequestId,
            Video: video,
            Seed: seed,
            Error: error,
            Timings: new JobTimeline(_job.CreatedAt, _state.SubmittedAt, _state.FalCompletedAt, terminal ? Now : null))
        {
            EndUserId = _state.EndUserId,
            Correlation = _state.Correlation,
            VideoSeconds = billed ? _state.Cost?.VideoSeconds : 0,
            EstimatedCostUsd = billed ? _state.Cost?.EstimatedUsd : 0,
            Batch = _job.Batch,
            Variant = _job.Variant,
        };
        return new JobEvent(type, JobEvent.SubjectOf(_job with { OutputBlob = _state.OutputBlob }), Now, data);
    }
}
