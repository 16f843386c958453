using Microsoft.DurableTask.Client;
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
/// (<see cref="OpenJobs"/>) older than <see cref="MinimumAge"/>:
/// <list type="bullet">
/// <item>failed (an orchestrator fault) or terminated (by an operator): its fal requests are cancelled, the
/// <c>Failed</c>/<c>Cancelled</c> event is published and an inbox job's error marker written, as the orchestration
/// would have;</item>
/// <item>then, and for a job that was never scheduled or that completed without settling (a sidecar that fed its
/// image's job): its slot and its reservation (when fal never had it) are given back and the job waiting longest for a
/// slot is woken.</item>
/// </list>
/// Running jobs are left alone. Idempotent: a crash half way is finished by the next run (same CloudEvent ids).
/// </summary>
public partial class JobReconciler(
    OpenJobs open, JobAdmission admission, SubmitLedger submits, FalQueueClient fal, JobEventPublisher events, VideoStore videos,
    Batches.BatchLedger batches, Microsoft.Extensions.Options.IOptions<Options.PipelineOptions> options, TimeProvider time, ILogger<JobReconciler> logger)
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
                await EndAsync(client, instance, cancellationToken);
                break;
            default:
                return false;
        }

        var wake = await admission.SettleAsync(job.JobId, job.CreatedAt, reachedFal: false, cancellationToken);
        if (wake is not null && wake != job.JobId)
        {
            await client.RaiseEventAsync(wake, VideoJobOrchestrator.SlotFreedEvent, job.JobId, cancellationToken);
        }

        LogSettled(job.JobId, instance?.RuntimeStatus);
        return true;
    }

    /// <summary>What the orchestration would have done at its end: stop fal, tell the subscribers and the inbox user.</summary>
    private async Task EndAsync(DurableTaskClient client, OrchestrationMetadata instance, CancellationToken cancellationToken)
    {
        var job = instance.ReadInputAs<VideoJob>() ?? throw new InvalidOperationException($"job {instance.InstanceId} has no input");
        var records = await submits.ListAsync(job.Id, cancellationToken);
        foreach (var request in records.Select(r => r.Request).OfType<Activities.FalRequestRef>())
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

        var terminated = instance.RuntimeStatus == OrchestrationRuntimeStatus.Terminated;
        var error = terminated
            ? new JobError("terminated", "the job was terminated by an operator")
            : new JobError("internal_error", instance.FailureDetails?.ErrorMessage ?? "the job's orchestration failed");
        var atFal = records.Any(r => r.MayBeAtFal);
        var last = records.LastOrDefault(r => r.Request is not null);
        var now = time.GetUtcNow();
        if (job.Source.Kind == JobSourceKind.Inbox)
        {
            await videos.WriteErrorMarkerAsync(new Activities.ErrorMarkerInput(job.Id, job.Source, job.OutputBlob,
                terminated ? JobOutcome.Cancelled : JobOutcome.Failed, error, last?.Request?.RequestId), cancellationToken);
        }

        var data = new JobEventData(job.Id, last?.Mode ?? job.Mode, job.Source.ToString(), last?.Request?.RequestId, null, null, error,
            new JobTimeline(job.CreatedAt, last?.AnsweredAt, null, now), last?.EndUserId ?? job.Request?.EndUserId, last?.Correlation ?? job.Correlation,
            atFal ? last?.Cost?.VideoSeconds : 0, atFal ? last?.Cost?.EstimatedUsd : 0, job.Batch, job.Variant);
        var ended = new JobEvent(terminated ? JobEventTypes.Cancelled : JobEventTypes.Failed, JobEvent.SubjectOf(job), now, data);
        await events.PublishAsync(ended, cancellationToken);
        if (job.Callback is not null)
        {
            await client.RaiseEventAsync(Orchestrations.JobCallbacksOrchestrator.InstanceIdFor(job.Id), Orchestrations.JobCallbacksOrchestrator.EventName, ended, cancellationToken);
        }
        if (job.Batch is { } batch)
        {
            await batches.RecordEndAsync(new Batches.BatchJobEnd(job.Id, batch, job.Variant, terminated ? "cancelled" : "failed", null, null,
                data.EstimatedCostUsd, error.Code, error.Message), cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} settled by the reconciler (orchestration: {Status}; none if never scheduled)")]
    private partial void LogSettled(string jobId, OrchestrationRuntimeStatus? status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: cancelling fal request {FalRequestId} failed ({Reason})")]
    private partial void LogCancelFailed(string jobId, string falRequestId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} could not be reconciled; the next run tries again")]
    private partial void LogFailed(Exception exception, string jobId);
}
