namespace Pipeline.LocalHost.Housekeeping;

/// <summary>
/// A background loop that no exception and no outage of any length can end (an exception out of a hosted service would
/// stop the host, and jobs would wait for a person to restart it): one pass every <see cref="Interval"/>; a pass that
/// fails is logged once when failures begin and once when a pass succeeds again, not at every pass in between.
/// </summary>
public abstract partial class ResilientLoop(ILogger logger, TimeProvider? time = null) : BackgroundService
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>What the loop does, for its log lines ("the reconciler", "mirroring videos/").</summary>
    protected abstract string What { get; }

    protected abstract TimeSpan Interval { get; }

    /// <summary>Whether the first pass runs at start (else after one interval).</summary>
    protected virtual bool RunsAtStart => true;

    protected abstract Task RunOnceAsync(CancellationToken stoppingToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        var (failures, since) = (0, DateTimeOffset.MinValue);
        if (!RunsAtStart && !await timer.WaitForNextTickAsync(stoppingToken))
        {
            return;
        }

        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                if (failures > 0)
                {
                    var duration = _time.GetUtcNow() - since;
                    LogRecovered(What, failures, duration);
                    failures = 0;
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (failures++ == 0)
                {
                    since = _time.GetUtcNow();
                    LogFailing(e, What);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What} failed; trying again every interval, quietly until it works")]
    private partial void LogFailing(Exception exception, string what);

    [LoggerMessage(Level = LogLevel.Information, Message = "{What} works again after {Failures} failed passes over {Duration}")]
    private partial void LogRecovered(string what, int failures, TimeSpan duration);
}
