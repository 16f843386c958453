using System.Diagnostics;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Costs;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;
using Pipeline.Core.Telemetry;

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

    /// <summary>The job exists (or is being started) for a different request under the same id: a reused idempotency key.</summary>
    public sealed record Conflict : JobStart;
}

/// <summary>
/// Starts a job's orchestration exactly once per job id, with the orchestrator's current version. The dedupe statuses
/// are explicit (every status), so a redelivered blob event or a repeated idempotency key finds the existing job on
/// every backend, including the in-process test engine that would otherwise replace a running instance. A job is
/// claimed by marking it open (<see cref="OpenJobs"/>, only if not open: exactly one of several concurrent requests
/// for the same id starts it; an open job is settled by the reconciler if its orchestration never settles it), given
/// its spending reservation when the caller asks for one (a job over a cap is refused here, before any 202), and
/// entered once in the <see cref="JobIndex"/>, so no running job is missing from the listing. A request whose
/// fingerprint differs from the job's is a <see cref="JobStart.Conflict"/>.
/// </summary>
public partial class JobScheduler(
    IOptions<PipelineOptions> options, TimeProvider time, JobIndex index, OpenJobs open, Batches.BatchLedger batches,
    IOptions<Callbacks.CallbackOptions> callbacks, ILogger<JobScheduler> logger, IOptions<CostOptions>? costs = null,
    IOptions<Fal.FalQueueClientOptions>? fal = null)
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
            return new JobTimings(
                o.WebhookWait,
                o.PollInterval,
                o.JobDeadline,
                o.SidecarGrace,
                o.UnconfirmedSubmitWait,
                costs?.Value.SlotRetryInterval,
                o.FalUnavailableWait,
                fal?.Value.OutputRetention);
        }
    }

    public DateTimeOffset Now => time.GetUtcNow();

    /// <param name="reserve">Reserves the job's estimate against the caps (idempotent per job id); a refusal starts nothing.</param>
    public virtual async Task<JobStart> StartAsync(
        DurableTaskClient client,
        VideoJob job,
        CancellationToken cancellationToken,
        Func<CancellationToken, Task<BudgetRefusal?>>? reserve = null)
    {
        // The job's trace starts here, under the request or the trigger that brought it; the job keeps its context.
        using var telemetry = JobTelemetry.Start(logger, "video_job.start", job.Id, ActivityKind.Producer)
            .Learn(job.Mode, job.Request?.EndUserId);
        telemetry.Tag("job.source", job.Source.Kind.ToString().ToLowerInvariant());
        job = job with { TraceParent = telemetry.TraceParent };
        var started = await ScheduleOnceAsync(client, job, reserve, cancellationToken);
        telemetry.Tag("job.start", started.GetType().Name.ToLowerInvariant());
        return started;
    }

    private async Task<JobStart> ScheduleOnceAsync(
        DurableTaskClient client, VideoJob job, Func<CancellationToken, Task<BudgetRefusal?>>? reserve, CancellationToken cancellationToken)
    {
        if (await ExistingAsync(client, job.Id, job.RequestFingerprint, cancellationToken) is { } existing)
        {
            return existing;
        }

        if (!await open.TryAddAsync(job.Id, job.CreatedAt, job.RequestFingerprint, cancellationToken))
        {
            // Another request for this job is starting it now (or died doing so): it is the same job, or a conflict.
            if (job.RequestFingerprint is not null
                && await open.FingerprintOfAsync(job.Id, cancellationToken) is { } theirs
                && theirs != job.RequestFingerprint)
            {
                return new JobStart.Conflict();
            }

            if (await WaitForInstanceAsync(client, job.Id, cancellationToken))
            {
                LogDuplicate(job.Id);
                return new JobStart.Existed();
            }

            LogTakingOver(job.Id); // its starter never scheduled it: this request does (the dedupe statuses keep it one)
        }

        if (reserve is not null && await reserve(cancellationToken) is { } refusal)
        {
            await open.CloseAsync(job.Id, cancellationToken);
            return new JobStart.Refused(refusal);
        }

        await index.AddAsync(job, cancellationToken);
        if (job.Batch is not null)
        {
            await batches.AddJobAsync(job, cancellationToken);
        }

        if (job.Callback is not null)
        {
            await StartCallbacksAsync(client, job, cancellationToken); // first: the job sends its events to it
        }

        try
        {
            var start = new StartOrchestrationOptions(job.Id).WithDedupeStatuses(EveryStatus) with
            {
                Version = VideoJobOrchestrator.Version,
            };
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

    /// <summary>
    /// The existing job's answer to a request for its id: the same job (<see cref="JobStart.Existed"/>), or a conflict
    /// when the request asks for something else; null when there is no such job yet.
    /// </summary>
    public virtual async Task<JobStart?> ExistingAsync(
        DurableTaskClient client, string jobId, string? fingerprint, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(jobId, getInputsAndOutputs: fingerprint is not null, cancellationToken);
        if (instance is null)
        {
            return null;
        }

        if (fingerprint is not null && instance.ReadInputAs<VideoJob>()?.RequestFingerprint is { } theirs && theirs != fingerprint)
        {
            return new JobStart.Conflict();
        }

        LogDuplicate(jobId);
        return new JobStart.Existed();
    }

    /// <summary>Starts the orchestration that delivers the job's events to its receiver (once per job, whoever starts it).</summary>
    private async Task StartCallbacksAsync(DurableTaskClient client, VideoJob job, CancellationToken cancellationToken)
    {
        var o = callbacks.Value;
        var timings = new Callbacks.CallbackTimings(
            options.Value.JobDeadline + TimeSpan.FromHours(2), o.RetryFor, o.FirstRetryDelay, o.MaxRetryDelay);
        var id = JobCallbacksOrchestrator.InstanceIdFor(job.Id);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(
                JobCallbacksOrchestrator.Name,
                new JobCallbacks(job.Id, job.Callback!, timings, job.CreatedAt),
                new StartOrchestrationOptions(id).WithDedupeStatuses(EveryStatus),
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (await client.GetInstanceAsync(id, cancellationToken) is null)
            {
                throw;
            }
        }
    }

    /// <summary>Waits (up to 10 s) for a job another request is starting to exist.</summary>
    private static async Task<bool> WaitForInstanceAsync(DurableTaskClient client, string jobId, CancellationToken cancellationToken)
    {
        for (var wait = 0; wait < 40; wait++)
        {
            if (await client.GetInstanceAsync(jobId, cancellationToken) is not null)
            {
                return true;
            }

            await Task.Delay(250, cancellationToken);
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was claimed but never scheduled; this request schedules it")]
    private partial void LogTakingOver(string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} started ({Mode}, from {Source})")]
    private partial void LogStarted(string jobId, VideoMode mode, JobSource source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} exists already; not started again")]
    private partial void LogDuplicate(string jobId);
}
