using Microsoft.DurableTask.Client;
using Pipeline.Core.Jobs;

namespace Pipeline.LocalHost.Console;

/// <summary>
/// Prints each job as it goes: a line when its stage or fal queue position changes, with the elapsed time, and one at
/// the end with the output path or the reason it failed. It reads at most <see cref="JobsPerTick"/> jobs a second,
/// in turn, so a burst of hundreds of drops does not turn the console into a load on the durable store.
/// </summary>
public sealed partial class JobProgressReporter(DurableTaskClient client, JobWatchList watch, ILogger<JobProgressReporter> logger) : BackgroundService
{
    public const int JobsPerTick = 25;

    private readonly Dictionary<string, string> _lastLine = [];
    private int _next;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ReportAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogQueryFailed(e.Message);
            }
        }
    }

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

            if (!instance.IsCompleted)
            {
                var progress = instance.SerializedCustomStatus is null ? null : instance.ReadCustomStatusAs<JobProgress>();
                var line = progress is null ? "starting" : progress.QueuePosition is { } position ? $"{progress.Stage} (fal queue position {position})" : progress.Stage;
                if (!_lastLine.TryGetValue(id, out var before) || before != line)
                {
                    _lastLine[id] = line;
                    LogProgress(id, line, (int)(DateTimeOffset.UtcNow - instance.CreatedAt).TotalSeconds);
                }

                continue;
            }

            watch.Remove(id);
            if (!_lastLine.Remove(id))
            {
                continue; // ended before this process saw it run (a restart meets old jobs): nothing new to say
            }

            var result = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<VideoJobResult>() : null;
            var seconds = (int)(instance.LastUpdatedAt - instance.CreatedAt).TotalSeconds;
            switch (result?.Outcome)
            {
                case JobOutcome.Succeeded:
                    LogSucceeded(id, result.Video!.Blob, seconds);
                    break;
                case JobOutcome.Superseded:
                    break;
                default:
                    LogEnded(id, result?.Outcome.ToString() ?? instance.RuntimeStatus.ToString(), result?.Error?.Message ?? "", seconds);
                    break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: {Progress}, {Seconds} s")]
    private partial void LogProgress(string jobId, string progress, int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: succeeded after {Seconds} s -> {Video}")]
    private partial void LogSucceeded(string jobId, string video, int seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: {Outcome} after {Seconds} s: {Reason}")]
    private partial void LogEnded(string jobId, string outcome, string reason, int seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listing jobs failed: {Error}")]
    private partial void LogQueryFailed(string error);
}
