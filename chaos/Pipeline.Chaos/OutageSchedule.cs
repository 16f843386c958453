using System.Diagnostics;

namespace Pipeline.Chaos;

/// <summary>
/// A chaos run's outages, one dependency at a time in the order asked, spread over the run by its progress: the k-th of
/// N begins once (k−1)/(N+1) of the jobs have ended (the first once a job is in) and the one before it is over, then
/// 0.5–4 s later (seeded), and lasts the outage length. Progress rather than the clock paces them, so that each outage
/// meets jobs in flight however long the pipeline takes (at least a share of them is left for the last).
/// </summary>
public sealed class OutageSchedule(OutageOptions options, DependencyProxies proxies, Func<int, int, int> next, Action<string> log)
{
    private readonly List<OutageWindow> _windows = [];

    /// <summary>The outages so far, each once it has ended.</summary>
    public IReadOnlyList<OutageWindow> Windows
    {
        get
        {
            lock (_windows)
            {
                return [.. _windows];
            }
        }
    }

    /// <param name="jobs">How many jobs the run has.</param>
    /// <param name="sent">How many are in (accepted or dropped) so far.</param>
    /// <param name="ended">How many have ended so far.</param>
    /// <param name="clock">The run's clock: windows are in time since the run began.</param>
    public async Task RunAsync(int jobs, Func<int> sent, Func<int> ended, Stopwatch clock, CancellationToken cancellationToken)
    {
        var count = options.ForwardOnly ? 0 : options.Dependencies.Count;
        for (var number = 1; number <= count; number++)
        {
            var dependency = options.Dependencies[number - 1];
            var due = (number - 1) * jobs / (count + 1);
            while (sent() == 0 || ended() < due)
            {
                await Task.Delay(200, cancellationToken);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(next(500, 4000)), cancellationToken);
            var mode = options.ModeOf(number);
            var start = clock.Elapsed;
            try
            {
                await proxies.BeginOutageAsync(dependency, mode, cancellationToken);
                log($"chaos: outage {number} of {dependency.Name()} ({mode.Name()}) at {start.TotalSeconds:F1} s "
                    + $"({ended()} of {jobs} jobs ended)");
                await Task.Delay(options.Length, cancellationToken);
            }
            finally
            {
                // Ended even when the run is given up, so that nothing after it meets a dependency still out.
                await proxies.EndOutageAsync(dependency, CancellationToken.None);
                lock (_windows)
                {
                    _windows.Add(new OutageWindow(number, dependency, mode, start, clock.Elapsed));
                }

                log($"chaos: outage {number} of {dependency.Name()} over at {clock.Elapsed.TotalSeconds:F1} s");
            }
        }
    }
}
