using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Api;

/// <summary>
/// Starts a job's orchestration exactly once per job id. The dedupe statuses are explicit (every status), so a
/// redelivered blob event or a repeated idempotency key finds the existing job on every backend, including the
/// in-process test engine that would otherwise replace a running instance. Each new job is entered in the
/// <see cref="JobIndex"/> first, so no running job is missing from the listing.
/// </summary>
public partial class JobScheduler(IOptions<PipelineOptions> options, TimeProvider time, JobIndex index, ILogger<JobScheduler> logger, IOptions<Costs.CostOptions>? costs = null)
{
    private static readonly OrchestrationRuntimeStatus[] EveryStatus =
    [
        OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended,
        OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated,
    ];

    public JobTimings Timings
    {
        get
        {
            var o = options.Value;
            return new JobTimings(o.WebhookWait, o.PollInterval, o.JobDeadline, o.SidecarGrace, o.UnconfirmedSubmitWait, costs?.Value.SlotRetryInterval);
        }
    }

    public DateTimeOffset Now => time.GetUtcNow();

    /// <returns>True when this call started the job; false when it existed already.</returns>
    public virtual async Task<bool> StartAsync(DurableTaskClient client, VideoJob job, CancellationToken cancellationToken)
    {
        if (await client.GetInstanceAsync(job.Id, cancellationToken) is not null)
        {
            LogDuplicate(job.Id);
            return false;
        }

        await index.AddAsync(job, cancellationToken);
        try
        {
            var start = new StartOrchestrationOptions(job.Id).WithDedupeStatuses(EveryStatus);
            await client.ScheduleNewOrchestrationInstanceAsync(VideoJobOrchestrator.Name, job, start, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (await client.GetInstanceAsync(job.Id, cancellationToken) is null)
            {
                throw;
            }

            // Two deliveries raced past the check; the backend refused the second start.
            LogDuplicate(job.Id);
            return false;
        }

        LogStarted(job.Id, job.Mode, job.Source);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} started ({Mode}, from {Source})")]
    private partial void LogStarted(string jobId, VideoMode mode, JobSource source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} exists already; not started again")]
    private partial void LogDuplicate(string jobId);
}
