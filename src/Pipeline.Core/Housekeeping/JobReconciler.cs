using Microsoft.DurableTask.Client;
using Pipeline.Core.Activities;
using Pipeline.Core.Costs;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Storage;
using Pipeline.Core.Submits;

namespace Pipeline.Core.Housekeeping;

/// <summary>
/// Settles the jobs whose orchestration ended without settling them, so that nothing leaks and every accepted job ends
/// with one visible outcome: run every minute (a timer in Functions, a loop on the local host). For each open job
/// (<see cref="OpenJobs"/>) older than <see cref="Options.PipelineOptions.ReconcileAfter"/>:
/// <list type="bullet">
/// <item>failed (an orchestrator fault): fal is asked about each of its requests first. A video fal finished is stored
/// and the job succeeds; a request still running is waited for (the next run looks again); only then are its requests
/// cancelled and the job failed. When fal cannot be asked, nothing is decided (the next run asks again);</item>
/// <item>terminated (by an operator): its requests are cancelled and the job is cancelled;</item>
/// <item>either way the outcome is recorded (<see cref="ReconciledOutcomes"/>: the status API shows it), announced
/// through the outbox and marked for an inbox user; then, and for a job never scheduled or completed without settling,
/// its slot and reservation (when fal never had it) are given back and the job waiting longest for a slot is woken.</item>
/// </list>
/// Running jobs are left alone. Idempotent: a crash half way is finished by the next run (same CloudEvent ids).
/// </summary>
public partial class JobReconciler(
    OpenJobs open,
    JobAdmission admission,
    SubmitLedger submits,
    FalQueueClient fal,
    FetchFalResultActivity results,
    EventOutbox events,
    VideoStore videos,
    ReconciledOutcomes outcomes,
    Batches.BatchLedger batches,
    Microsoft.Extensions.Options.IOptions<Options.PipelineOptions> options,
    TimeProvider time,
    ILogger<JobReconciler> logger)
{
    /// <returns>How many jobs were settled.</returns>
    public virtual async Task<int> RunAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        var settled = 0;
        await foreach (var job in open.ListAsync(cancellationToken))
        {
            if (time.GetUtcNow() - job.Since < options.Value.ReconcileAfter)
            {
                continue;
            }

            try
            {
                if (await ReconcileAsync(client, job, cancellationToken))
                {
                    settled++;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(e, job.JobId); // the next run tries again
            }
        }

        return settled;
    }

    private async Task<bool> ReconcileAsync(DurableTaskClient client, OpenJob job, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(job.JobId, getInputsAndOutputs: true, cancellationToken);
        switch (instance?.RuntimeStatus)
        {
            case null:
            case OrchestrationRuntimeStatus.Completed:
                break;
            case OrchestrationRuntimeStatus.Failed:
            case OrchestrationRuntimeStatus.Terminated:
                if (await EndAsync(client, instance, cancellationToken) is null)
                {
                    return false; // fal still works on it
                }

                break;
            default:
                return false;
        }

        // The submit records say whether fal had it (and its reservation stays spent).
        var wake = await admission.SettleAsync(job.JobId, job.CreatedAt, reachedFal: false, cancellationToken);
        if (wake is not null && wake != job.JobId)
        {
            await client.RaiseEventAsync(wake, VideoJobOrchestrator.SlotFreedEvent, job.JobId, cancellationToken);
        }

        LogSettled(job.JobId, instance?.RuntimeStatus);
        return true;
    }

    /// <summary>What the orchestration would have done at its end; null when it cannot be decided yet.</summary>
    private async Task<VideoJobResult?> EndAsync(
        DurableTaskClient client, OrchestrationMetadata instance, CancellationToken cancellationToken)
    {
        var job = instance.ReadInputAs<VideoJob>() ?? throw new InvalidOperationException($"job {instance.InstanceId} has no input");
        if (await outcomes.ReadAsync(job.Id, cancellationToken) is { } decided)
        {
            return decided; // a run before this one decided, then stopped half way: it is finished the same way
        }

        var records = await submits.ListAsync(job.Id, cancellationToken);
        var terminated = instance.RuntimeStatus == OrchestrationRuntimeStatus.Terminated;
        var atFal = terminated ? new FalLook(null, false) : await LookAtFalAsync(job, records, cancellationToken);
        if (atFal.StillRunning)
        {
            return null;
        }

        var result = atFal.Finished is { } finished
            ? await StoreAsync(job, records, finished, cancellationToken)
            : await FailAsync(job, records, instance, cancellationToken);
        await outcomes.WriteAsync(result, cancellationToken);
        await AnnounceAsync(client, job, result, records, cancellationToken);
        return result;
    }

    /// <summary>
    /// What fal did with the job's requests: a video it finished, or whether one still runs. Throws when fal cannot be
    /// asked.
    /// </summary>
    private async Task<FalLook> LookAtFalAsync(VideoJob job, IReadOnlyList<SubmitRecord> records, CancellationToken cancellationToken)
    {
        var running = false;
        foreach (var request in records.Select(r => r.Request).OfType<FalRequestRef>().Reverse())
        {
            var status = await fal.GetStatusAsync(request.StatusUrl, cancellationToken);
            if (status.State != FalRequestState.Completed)
            {
                running |= time.GetUtcNow() - job.CreatedAt < job.Timings.Deadline;
                continue;
            }

            var completion = await results.ReadAsync(
                request.RequestId, request.ResponseUrl, (status.Error, status.ErrorType), cancellationToken);
            if (completion.Succeeded && completion.VideoUrl is not null)
            {
                return new FalLook(completion, false);
            }
        }

        return new FalLook(null, running);
    }

    private sealed record FalLook(FalCompletion? Finished, bool StillRunning);

    private async Task<VideoJobResult> StoreAsync(
        VideoJob job, IReadOnlyList<SubmitRecord> records, FalCompletion finished, CancellationToken cancellationToken)
    {
        var last = records.LastOrDefault(r => r.Request?.RequestId == finished.RequestId) ?? (records.Count > 0 ? records[^1] : null);
        var mode = last?.Mode ?? job.Mode;
        var toStore = new VideoToStore(
            job.Id, last?.OutputBlob ?? job.OutputBlob, finished.VideoUrl!, finished.ContentType, finished.FileSize, finished.RequestId)
        {
            Mode = mode, Source = job.Source, Seed = finished.Seed, EndUserId = last?.EndUserId, Correlation = last?.Correlation,
        };
        var video = await videos.StoreAsync(toStore, cancellationToken);
        await CancelAsync(job, records, except: finished.RequestId, cancellationToken);
        LogStoredForFailedJob(job.Id, finished.RequestId);
        return Result(job, records, JobOutcome.Succeeded, video, finished.Seed, null, finished.RequestId);
    }

    private async Task<VideoJobResult> FailAsync(
        VideoJob job, IReadOnlyList<SubmitRecord> records, OrchestrationMetadata instance, CancellationToken cancellationToken)
    {
        await CancelAsync(job, records, except: null, cancellationToken);
        var terminated = instance.RuntimeStatus == OrchestrationRuntimeStatus.Terminated;
        var error = terminated
            ? new JobError("terminated", "the job was terminated by an operator")
            : new JobError("internal_error", instance.FailureDetails?.ErrorMessage ?? "the job's orchestration failed");
        var last = records.LastOrDefault(r => r.Request is not null);
        if (job.Source.Kind == JobSourceKind.Inbox)
        {
            await videos.WriteErrorMarkerAsync(new ErrorMarkerInput(job.Id, job.Source, job.OutputBlob,
                terminated ? JobOutcome.Cancelled : JobOutcome.Failed, error, last?.Request?.RequestId), cancellationToken);
        }

        return Result(job, records, terminated ? JobOutcome.Cancelled : JobOutcome.Failed, null, null, error, last?.Request?.RequestId);
    }

    private async Task CancelAsync(VideoJob job, IReadOnlyList<SubmitRecord> records, string? except, CancellationToken cancellationToken)
    {
        foreach (var request in records.Select(r => r.Request).OfType<FalRequestRef>().Where(r => r.RequestId != except))
        {
            try
            {
                await fal.CancelAsync(request.CancelUrl, cancellationToken);
            }
            catch (FalApiException e)
            {
                LogCancelFailed(job.Id, request.RequestId, e.Message);
            }
        }
    }

    private VideoJobResult Result(
        VideoJob job,
        IReadOnlyList<SubmitRecord> records,
        JobOutcome outcome,
        StoredVideo? video,
        long? seed,
        JobError? error,
        string? requestId)
    {
        var last = records.LastOrDefault(r => r.Request is not null) ?? (records.Count > 0 ? records[^1] : null);
        var atFal = records.Any(r => r.MayBeAtFal);
        return new VideoJobResult(
            Id: job.Id,
            Mode: last?.Mode ?? job.Mode,
            Outcome: outcome,
            FalRequestId: requestId,
            Video: video,
            Seed: seed,
            Error: error,
            SubmittedAt: last?.AnsweredAt)
        {
            FalCompletedAt = null,
            FinishedAt = time.GetUtcNow(),
            FalRequestIds = [.. records.Select(r => r.Request?.RequestId).OfType<string>()],
            Cost = atFal ? last?.Cost : null,
            EndUserId = last?.EndUserId ?? job.Request?.EndUserId,
            Correlation = last?.Correlation ?? job.Correlation,
        };
    }

    /// <summary>
    /// Tells the subscribers (through the outbox), the job's callback receiver and its batch, as the orchestration
    /// would have.
    /// </summary>
    private async Task AnnounceAsync(
        DurableTaskClient client,
        VideoJob job,
        VideoJobResult result,
        IReadOnlyList<SubmitRecord> records,
        CancellationToken cancellationToken)
    {
        var type = result.Outcome switch
        {
            JobOutcome.Succeeded => JobEventTypes.Succeeded,
            JobOutcome.Cancelled => JobEventTypes.Cancelled,
            _ => JobEventTypes.Failed,
        };
        var atFal = records.Any(r => r.MayBeAtFal);
        var data = new JobEventData(
            Id: job.Id,
            Mode: result.Mode,
            Source: job.Source.ToString(),
            FalRequestId: result.FalRequestId,
            Video: result.Video,
            Seed: result.Seed,
            Error: result.Error,
            Timings: new JobTimeline(job.CreatedAt, result.SubmittedAt, null, result.FinishedAt))
        {
            EndUserId = result.EndUserId,
            Correlation = result.Correlation,
            VideoSeconds = atFal ? result.Cost?.VideoSeconds : 0,
            EstimatedCostUsd = atFal ? result.Cost?.EstimatedUsd : 0,
            Batch = job.Batch,
            Variant = job.Variant,
        };
        var ended = new JobEvent(type, JobEvent.SubjectOf(job), result.FinishedAt, data);
        await events.AnnounceAsync(ended, queueBehind: false, cancellationToken);
        if (job.Callback is not null)
        {
            await client.RaiseEventAsync(
                JobCallbacksOrchestrator.InstanceIdFor(job.Id), JobCallbacksOrchestrator.EventName, ended, cancellationToken);
        }

        if (job.Batch is { } batch)
        {
            var end = new Batches.BatchJobEnd(
                JobId: job.Id,
                Batch: batch,
                Variant: job.Variant,
                Status: result.Outcome.ToString().ToLowerInvariant(),
                Video: result.Video?.Blob,
                Seed: result.Seed,
                CostUsd: data.EstimatedCostUsd)
            {
                ErrorCode = result.Error?.Code,
                ErrorMessage = result.Error?.Message,
            };
            await batches.RecordEndAsync(end, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Job {JobId} settled by the reconciler (orchestration: {Status}; none if never scheduled)")]
    private partial void LogSettled(string jobId, OrchestrationRuntimeStatus? status);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Job {JobId}: its orchestration failed, but fal had finished request {FalRequestId}: the video is stored")]
    private partial void LogStoredForFailedJob(string jobId, string falRequestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: cancelling fal request {FalRequestId} failed ({Reason})")]
    private partial void LogCancelFailed(string jobId, string falRequestId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} could not be reconciled; the next run tries again")]
    private partial void LogFailed(Exception exception, string jobId);
}
