using Microsoft.Extensions.Logging;
using Pipeline.LocalHost.Housekeeping;

namespace Pipeline.IntegrationTests.LocalHost;

/// <summary>
/// The local host's background loops (reconciler, purge, outbox, mirrors, inbox scan, console): no exception ends one
/// (an exception out of a hosted service stops the whole host), and an outage is logged once when it begins and once
/// when it ends, not at every pass.
/// </summary>
public sealed class ResilientLoopTests
{
    [Fact]
    public async Task ALoopThatFailsForAWhile_GoesOnAndLogsOnceEachWay()
    {
        var logs = new ListLogger();
        var loop = new FlakyLoop(logs, failures: 25);

        await loop.StartAsync(TestContext.Current.CancellationToken);
        var until = DateTime.UtcNow.AddSeconds(10);
        while (loop.Passes < 40 && DateTime.UtcNow < until)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        await loop.StopAsync(TestContext.Current.CancellationToken);

        Assert.True(loop.Passes >= 40, $"{loop.Passes} passes: the loop stopped");
        Assert.Single(logs.Lines, l => l.Level == LogLevel.Warning);
        Assert.Single(
            logs.Lines, l => l.Level == LogLevel.Information && l.Message.Contains("after 25 failed passes", StringComparison.Ordinal));
    }

    /// <summary>Fails its first passes with what an outage throws (a storage error, then a timeout that is not the host's stop).</summary>
    private sealed class FlakyLoop(ILogger logger, int failures) : ResilientLoop(logger)
    {
        private int _passes;

        public int Passes => Volatile.Read(ref _passes);

        protected override string What => "The flaky loop";

        protected override TimeSpan Interval => TimeSpan.FromMilliseconds(5);

        protected override Task RunOnceAsync(CancellationToken stoppingToken)
        {
            var pass = Interlocked.Increment(ref _passes);
            return pass > failures ? Task.CompletedTask
                : pass % 2 == 0 ? throw new Azure.RequestFailedException(503, "ServerBusy")
                : throw new TaskCanceledException("the request timed out");
        }
    }

    private sealed class ListLogger : ILogger
    {
        private readonly List<(LogLevel Level, string Message)> _lines = [];

        public IReadOnlyList<(LogLevel Level, string Message)> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(
            LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
