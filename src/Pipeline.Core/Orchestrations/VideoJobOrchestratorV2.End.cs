using Microsoft.DurableTask;
using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Logging;

namespace Pipeline.Core.Orchestrations;

/// <summary>
/// Versions 1 and 2 of the video job, ending: storing fal's video, stopping a request at fal, and failing or cancelling
/// a job (giving back its slot, leaving an inbox marker).
/// </summary>
internal static partial class VideoJobOrchestratorV2
{
    private sealed partial class JobRun
    {
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
                var error = new JobError("video_unavailable", $"the video could not be copied from fal: {e.FailureDetails.ErrorMessage}");
                return await FailAsync(error, completion.Seed);
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
                return await context.CallActivityAsync<FalCompletion>(
                    FetchFalResultActivity.Name,
                    new FalResultQuery(requestId, _mode, responseUrl),
                    Fetched);
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
                    $"fal does not know request {_fal!.RequestId} (404 on {MaxLostPolls} status calls in a row); "
                    + "there is nothing to wait for"));
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

        /// <summary>A batch job's success as its batch records it, for the store activity to write with the video's name.</summary>
        private Batches.BatchJobEnd? PlannedBatchEnd(long? seed) =>
            job.Batch is null ? null : Batches.BatchJobEnd.Succeeded(job, seed, _cost?.EstimatedUsd);
    }
}
