using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Costs;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Api;

/// <summary>What starting a job did: started it, found it started already, or refused it over a spending cap.</summary>
public abstract record JobStart
{
    private JobStart()
    {
    }

    public sealed record Started : JobStart;

    public sealed record Existed : JobStart;

    public sealed record Refused(BudgetRefusal Refusal) : JobStart;
}

/// <summary>
/// Starts a job's orchestration exactly once per job id, with the orchestrator's current version. The dedupe statuses
/// are explicit (every status), so a redelivered blob event or a repeated idempotency key finds the existing job on
/// every backend, including the in-process test engine that would otherwise replace a running instance. Each new job
/// is first marked open (<see cref="OpenJobs"/>: settled by the reconciler if its orchestration never settles it), given
/// its spending reservation when the caller asks for one (a job over a cap is refused here, before any 202), and
/// entered in the <see cref="JobIndex"/>, so no running job is missing from the listing.
/// </summary>
public partial class JobScheduler(
    IOptions<PipelineOptions> options, TimeProvider time, JobIndex index, OpenJobs open, ILogger<JobScheduler> logger, IOptions<CostOptions>? costs = null)
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

    /// <param name="reserve">Reserves the job's estimate against the caps (idempotent per job id); a refusal starts nothing.</param>
    public virtual async Task<JobStart> StartAsync(
        DurableTaskClient client, VideoJob job, CancellationToken cancellationToken, Func<CancellationToken, Task<BudgetRefusal?>>? reserve = null)
    {
        if (await client.GetInstanceAsync(job.Id, cancellationToken) is not null)
        {
            LogDuplicate(job.Id);
            return new JobStart.Existed();
        }

        await open.AddAsync(job.Id, job.CreatedAt, cancellationToken);
        if (reserve is not null && await reserve(cancellationToken) is { } refusal)
        {
            await open.CloseAsync(job.Id, cancellationToken);
            return new JobStart.Refused(refusal);
        }

        await index.AddAsync(job, cancellationToken);
        try
        {
            var start = new StartOrchestrationOptions(job.Id).WithDedupeStatuses(EveryStatus) with { Version = VideoJobOrchestrator.Version };
            await client.ScheduleNewOrchestrationInstanceAsync(VideoJobOrchestrator.Name, job, start, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (await client.GetInstanceAsync(job.Id, cancellationToken) is null)
            {
                throw; // the open mark stays: the reconciler gives the reservation back
            }

            // Two deliveries raced past the check; the backend refused the second start.
            LogDuplicate(job.Id);
            return new JobStart.Existed();
        }

        LogStarted(job.Id, job.Mode, job.Source);
        return new JobStart.Started();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} started ({Mode}, from {Source})")]
    private partial void LogStarted(string jobId, VideoMode mode, JobSource source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} exists already; not started again")]
    private partial void LogDuplicate(string jobId);
}
