using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Steps;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Orchestrations;

/// <summary>From fal's verdict to the job's end: read the result if the webhook lacked it, copy the video, announce it.</summary>
internal sealed partial class VideoJobRun
{
    private async Task<VideoJobResult> CompleteAsync(FalCompletion completion)
    {
        _state = _state.WithRequestId(completion.RequestId) with { FalCompletedAt = new DateTimeOffset(Now, TimeSpan.Zero) };
        if (_state.Requests.Count > 1 || _state.Unconfirmed > 0)
        {
            await CancelAtFalAsync(exceptId: completion.RequestId); // another submit of the job: free while still queued
        }

        if (completion.Succeeded && completion.VideoUrl is null)
        {
            completion = await ReadResultAsync(completion); // fal finished but its webhook carried no video
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

        return await StoreAsync(completion);
    }

    /// <summary>fal's result for a finished request, read until fal's retention of it ends or fal says it is gone.</summary>
    private async Task<FalCompletion> ReadResultAsync(FalCompletion finished)
    {
        var responseUrl = _state.Requests.FirstOrDefault(r => r.RequestId == finished.RequestId)?.ResponseUrl;
        var read = await _steps.PatientlyAsync<FalCompletion>(
            JobSteps.ReadResult,
            new FalResultQuery(finished.RequestId, _state.Mode, responseUrl),
            PaidFor,
            failure => failure.IsDefinite,
            finished.RequestId,
            Retrying(JobStages.Storing, "read_result"));
        return read is StepResult<FalCompletion>.Answered { Value: { RequestId: not null } result } ? result : finished with
        {
            Succeeded = false,
            Error = $"fal finished request {finished.RequestId} but its result could not be read: "
                + $"{(read as StepResult<FalCompletion>.Failed)?.Failure.Message}",
            ErrorType = "result_unreadable",
        };
    }

    /// <summary>
    /// Copies the video until it is stored or fal's retention of it ends; only a definite answer (the file is gone or
    /// forbidden, or its host is not on the allow-list) ends it sooner. The step also settles the job and announces it.
    /// </summary>
    private async Task<VideoJobResult> StoreAsync(FalCompletion completion)
    {
        Progress(JobStages.Storing);
        var input = new StoreVideoInput(
            JobId: _job.Id,
            Mode: _state.Mode,
            Source: _job.Source,
            FalRequestId: completion.RequestId,
            Seed: completion.Seed,
            VideoUrl: completion.VideoUrl!,
            ContentType: completion.ContentType,
            OutputBlob: _state.OutputBlob)
        {
            FileSize = completion.FileSize,

            // Attribution, in the video's metadata; the creation day its spend counts on.
            EndUserId = _state.EndUserId,
            Correlation = _state.Correlation,
            JobCreatedAt = _job.CreatedAt,

            // What follows the copy, in the same step.
            Announcement = Planned(JobEventTypes.Succeeded, null, completion.Seed, null),
            QueueEventBehind = _state.EventsKept,
            BatchEnd = PlannedBatchEnd(completion.Seed),
        };
        var copied = await _steps.PatientlyAsync<StoreVideoOutcome>(
            JobSteps.Store, input, PaidFor, IsFinalCopyFailure, completion.RequestId, Retrying(JobStages.Storing, "copy_video"));
        if (copied is not StepResult<StoreVideoOutcome>.Answered { Value: { } stored })
        {
            var why = (copied as StepResult<StoreVideoOutcome>.Failed)?.Failure.Message;
            return await FailAsync(new JobError("video_unavailable", $"the video could not be copied from fal: {why}"), completion.Seed);
        }

        _state = _state with { HoldsSlot = false, RecordedInBatch = stored.RecordedInBatch }; // the step gave the slot back
        Wake(stored.WakeJob);
        Progress(JobStages.Finishing);
        var result = Result(JobOutcome.Succeeded, stored.Video, completion.Seed, null);
        if (stored.Announced)
        {
            Callback(JobEventTypes.Succeeded, stored.Video, completion.Seed, null);
        }
        else
        {
            await AnnounceAsync(JobEventTypes.Succeeded, stored.Video, completion.Seed, null);
        }

        return result;
    }

    /// <summary>The file is gone or forbidden at fal's host, or the host is not one the app downloads from.</summary>
    private static bool IsFinalCopyFailure(StepFailure failure) => failure.IsDefinite || failure.IsCausedBy<DownloadRefusedException>();

    /// <summary>Shows a step's retries in the job's status.</summary>
    private Action<StepFailure, int, DateTime> Retrying(string stage, string step) =>
        (failure, attempts, nextAt) =>
            Progress(stage, retrying: new JobRetry(step, attempts, failure.Message, new DateTimeOffset(nextAt, TimeSpan.Zero)));

    /// <summary>A batch job's success as its batch records it, for the store step to write with the video's name.</summary>
    private Batches.BatchJobEnd? PlannedBatchEnd(long? seed) =>
        _job.Batch is null ? null : Batches.BatchJobEnd.Succeeded(_job, seed, _state.Cost?.EstimatedUsd);
}
