using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Costs;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Storage;
using Pipeline.Core.Submits;

namespace Pipeline.Core.Housekeeping;

/// <summary>What one purge removed and what it left for later.</summary>
/// <param name="JobsPurged">Jobs whose history, index entry and submit records were removed.</param>
/// <param name="JobsKept">
/// Jobs past the retention left alone: still running, not settled yet (the reconciler's), or from a drop still in the
/// inbox.
/// </param>
/// <param name="UsageDaysPurged">Days of usage removed.</param>
/// <param name="Complete">False when the run stopped at its limit; the next run goes on.</param>
public sealed record PurgeReport(int JobsPurged, int JobsKept, int UsageDaysPurged, bool Complete);

/// <summary>
/// Keeps storage from growing forever: run every hour (a timer in Functions, a loop on the local host). Jobs created
/// more than <see cref="PipelineOptions.JobRetention"/> ago that have ended and been settled lose their Durable
/// history, their submit records and, last, their index entry, so a run stopped half way is finished by the next;
/// days of usage older than <see cref="CostOptions.UsageRetention"/> are removed. Running and unsettled jobs, videos,
/// and the live cap documents are never touched. Nor is the job of a drop whose very version is still in the inbox:
/// its history is what tells a rescan (the local host's, at every start) that the drop was handled; without it the
/// drop would start, and be billed, again. Every job the app starts is in the index (written before its
/// orchestration is scheduled), so the index drives the purge; a bulk purge of the task hub by date would also take
/// ended jobs the reconciler has not settled yet. Idempotent.
/// </summary>
public partial class JobPurger(
    JobIndex index, OpenJobs open, SubmitLedger submits, UsageLedger usage, IOptions<PipelineOptions> pipeline, IOptions<CostOptions> costs,
    Batches.BatchLedger batches, PipelineStorage storage, Events.EventOutbox outbox, ReconciledOutcomes outcomes, TimeProvider time,
    ILogger<JobPurger> logger)
{
    /// <summary>At most this many jobs a run, so that a run fits well within a function's timeout; the rest wait an hour.</summary>
    public const int MaxJobsPerRun = 2_000;

    public virtual async Task<PurgeReport> RunAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var (purged, kept, complete) = await PurgeJobsAsync(client, now - pipeline.Value.JobRetention, cancellationToken);
        var days = await PurgeUsageAsync(now - costs.Value.UsageRetention, cancellationToken);
        var report = new PurgeReport(purged, kept, days, complete);
        if (purged + days > 0 || !complete)
        {
            LogPurged(report.JobsPurged, report.JobsKept, report.UsageDaysPurged, report.Complete);
        }

        return report;
    }

    private async Task<(int Purged, int Kept, bool Complete)> PurgeJobsAsync(
        DurableTaskClient client, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var (purged, kept) = (0, 0);
        await foreach (var entry in index.CreatedBeforeAsync(cutoff, cancellationToken))
        {
            if (purged + kept >= MaxJobsPerRun)
            {
                return (purged, kept, false);
            }

            try
            {
                _ = await PurgeJobAsync(client, entry, cancellationToken) ? purged++ : kept++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                kept++;
                LogFailed(e, entry.JobId); // the next run tries again
            }
        }

        return (purged, kept, true);
    }

    private async Task<bool> PurgeJobAsync(DurableTaskClient client, JobIndexEntry entry, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(entry.JobId, getInputsAndOutputs: true, cancellationToken);
        if (instance is { IsCompleted: false } || await open.IsOpenAsync(entry.JobId, cancellationToken))
        {
            return false; // running, or ended without being settled: the reconciler settles it first
        }

        var job = instance?.ReadInputAs<VideoJob>();
        if (job?.Source is { Kind: JobSourceKind.Inbox } source && await StillDroppedAsync(source, cancellationToken))
        {
            return false;
        }

        if (instance is not null)
        {
            await client.PurgeInstanceAsync(entry.JobId, cancellation: cancellationToken);
        }

        // Its callbacks' orchestration, if it had a receiver (or may have: a job never scheduled left no input), ended a
        // day after the job at the latest.
        var callbacks = Orchestrations.JobCallbacksOrchestrator.InstanceIdFor(entry.JobId);
        if ((job is null || job.Callback is not null)
            && await client.GetInstanceAsync(callbacks, cancellationToken) is { IsCompleted: true })
        {
            await client.PurgeInstanceAsync(callbacks, cancellation: cancellationToken);
        }

        await submits.ForgetAsync(entry.JobId, cancellationToken);
        await outbox.ForgetAsync(entry.JobId, cancellationToken); // given up a month ago at the latest
        if (instance?.RuntimeStatus is OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated)
        {
            await outcomes.ForgetAsync(entry.JobId, cancellationToken);
        }

        if (entry.BatchId is { } batchId)
        {
            await batches.ForgetJobAsync(batchId, entry.JobId, cancellationToken);
        }

        await index.RemoveAsync(entry, cancellationToken); // last: while it exists, the job is purged again
        return true;
    }

    /// <summary>Whether the very blob version that started the job is still in the inbox.</summary>
    private async Task<bool> StillDroppedAsync(JobSource source, CancellationToken cancellationToken)
    {
        try
        {
            var blob = storage.Blob(source.Container ?? PipelineStorage.InboxContainerName, source.BlobName!);
            var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
            return properties.Value.ETag.ToString() == source.ETag;
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    private async Task<int> PurgeUsageAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var lastKept = UsageLedger.DayOf(cutoff);
        var purged = 0;
        foreach (var day in await usage.DaysAsync(cancellationToken))
        {
            if (string.CompareOrdinal(day, lastKept) < 0)
            {
                await usage.ForgetDayAsync(day, cancellationToken);
                purged++;
            }
        }

        return purged;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Purge: {Jobs} jobs purged, {Kept} past retention kept (running or unsettled), {Days} days of " +
            "usage purged; complete: {Complete}")]
    private partial void LogPurged(int jobs, int kept, int days, bool complete);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} could not be purged; the next run tries again")]
    private partial void LogFailed(Exception exception, string jobId);
}
