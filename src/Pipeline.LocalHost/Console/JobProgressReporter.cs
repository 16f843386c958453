using Microsoft.DurableTask.Client;
using Pipeline.Core.Batches;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;

namespace Pipeline.LocalHost.Console;

/// <summary>
/// Tells the console of each job as it goes: a line when it starts, one when its stage or fal queue position changes,
/// with the elapsed time, and one at the end with the output path or the reason it failed. A job that may still be a
/// sidecar is not announced until it is known to be real (<see cref="KnownRealJob"/>), and a sidecar's job is never
/// spoken of. When a job of a batch ends (a manifest's row, a request's variant, or a drop in a folder of several), one
/// line counts its batch: done, failed, remaining. It reads at most <see cref="JobsPerTick"/> jobs a second, in turn, so
/// a burst of hundreds of drops does not turn the console into a load on the durable store.
/// </summary>
public sealed partial class JobProgressReporter(
    DurableTaskClient client, JobWatchList watch, BatchLedger batches, ILogger<JobProgressReporter> logger)
    : Housekeeping.ResilientLoop(logger)
{
    public const int JobsPerTick = 25;

    /// <summary>The last progress line of each announced job.</summary>
    private readonly Dictionary<string, string> _lastLine = [];

    /// <summary>The last counts told of each batch.</summary>
    private readonly Dictionary<string, (int Done, int Total, int Failed, int Remaining, int Refused)> _lastBatch = [];

    /// <summary>Jobs this process saw running (a restart meets jobs that ended before: nothing new to say of those).</summary>
    private readonly HashSet<string> _seenRunning = [];
    private int _next;

    protected override string What => "Reading the jobs' progress for the console";

    protected override TimeSpan Interval => TimeSpan.FromSeconds(1);

    protected override bool RunsAtStart => false;

    protected override Task RunOnceAsync(CancellationToken stoppingToken) => ReportAsync(stoppingToken);

    private async Task ReportAsync(CancellationToken cancellationToken)
    {
        var ids = watch.Ids.Order(StringComparer.Ordinal).ToList();
        var start = ids.Count <= JobsPerTick ? 0 : _next % ids.Count;
        _next = start + JobsPerTick;
        foreach (var id in ids.Skip(start).Concat(ids.Take(start)).Take(JobsPerTick))
        {
            var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
            if (instance is null)
            {
                continue;
            }

            var job = instance.ReadInputAs<VideoJob>();
            if (instance.IsCompleted)
            {
                if (ReportEnd(id, job, instance) && job?.Batch is { } batch)
                {
                    await ReportBatchAsync(batch, cancellationToken);
                }

                continue;
            }

            _seenRunning.Add(id);
            var progress = instance.SerializedCustomStatus is null ? null : instance.ReadCustomStatusAs<JobProgress>();
            if (!KnownRealJob.WhileRunning(job, progress))
            {
                continue;
            }

            // One line per change of stage (or of a retry's count): a moving queue position is not a change worth a line.
            var state = progress is null ? "starting" : $"{progress.Stage}/{progress.Retrying?.Attempts}";
            var line = JobProgressLine.Of(progress?.Stage, progress?.QueuePosition, progress?.Retrying);
            if (!_lastLine.TryGetValue(id, out var before))
            {
                LogStarted(id, progress?.Mode ?? job?.Mode, job?.Source);
            }

            if (before != state)
            {
                _lastLine[id] = state;
                LogProgress(id, line, (int)(DateTimeOffset.UtcNow - instance.CreatedAt).TotalSeconds);
            }
        }
    }

    /// <returns>Whether the end was told.</returns>
    private bool ReportEnd(string id, VideoJob? job, OrchestrationMetadata instance)
    {
        var startedHere = watch.StartedHere(id);
        watch.Remove(id);
        var announced = _lastLine.Remove(id);
        var seen = _seenRunning.Remove(id);
        var result = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<VideoJobResult>() : null;
        if (!KnownRealJob.AtItsEnd(result) || !(announced || seen || startedHere))
        {
            return false; // a sidecar (its image's job tells), or a job that ended before this process met it
        }

        if (!announced)
        {
            LogStarted(id, result?.Mode ?? job?.Mode, job?.Source);
        }

        var seconds = (int)(instance.LastUpdatedAt - instance.CreatedAt).TotalSeconds;
        if (result?.Outcome == JobOutcome.Succeeded)
        {
            LogSucceeded(id, result.Video!.Blob, seconds);
        }
        else
        {
            var reason = result?.Error is { } error ? $"{error.Code}: {error.Message}" : "";
            LogEnded(id, result?.Outcome.ToString() ?? instance.RuntimeStatus.ToString(), reason, seconds);
        }

        return true;
    }

    /// <summary>One line for the batch of a job that ended (a folder's only when it holds more than one job).</summary>
    private async Task ReportBatchAsync(JobBatch batch, CancellationToken cancellationToken)
    {
        if (await batches.ProgressAsync(batch.Id, "", cancellationToken) is not { } progress
            || (batch.Kind == BatchKind.Folder && progress.Total < 2))
        {
            return;
        }

        // A job of a batch records its end before its orchestration completes, so the count includes this job; two jobs
        // ending in one pass would print the same counts twice.
        var counts = (progress.Done, progress.Total, progress.Failed + progress.Cancelled, progress.Remaining, progress.Refused);
        if (_lastBatch.TryGetValue(batch.Id, out var told) && told == counts)
        {
            return;
        }

        _lastBatch[batch.Id] = counts;
        LogBatch(
            progress.Name, progress.Kind, progress.Done, progress.Total, progress.Failed + progress.Cancelled, progress.Remaining,
            progress.Refused);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} started ({Mode}, from {Source})")]
    private partial void LogStarted(string jobId, VideoMode? mode, JobSource? source);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: {Progress}, {Seconds} s")]
    private partial void LogProgress(string jobId, string progress, int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: succeeded after {Seconds} s -> {Video}")]
    private partial void LogSucceeded(string jobId, string video, int seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: {Outcome} after {Seconds} s: {Reason}")]
    private partial void LogEnded(string jobId, string outcome, string reason, int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "batch {Batch} ({Kind}): {Done} of {Total} done, "
        + "{Failed} failed or cancelled, {Remaining} remaining, {Refused} refused")]
    private partial void LogBatch(string batch, BatchKind kind, int done, int total, int failed, int remaining, int refused);
}
