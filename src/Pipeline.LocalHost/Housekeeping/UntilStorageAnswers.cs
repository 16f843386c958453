namespace Pipeline.LocalHost.Housekeeping;

/// <summary>
/// A start that needs storage (the containers, the task hub) waits for it when it is away, trying again 1 s doubling
/// to 30 s apart, with one line when the wait begins and one when it ends: a host started during an outage comes up
/// when storage does, instead of exiting and waiting for a person.
/// </summary>
internal static partial class UntilStorageAnswers
{
    public static async Task RunAsync(Func<Task> start, string what, ILogger logger, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        for (var tries = 1; ; tries++)
        {
            try
            {
                await start();
                if (tries > 1)
                {
                    LogAnswered(logger, what, tries);
                }

                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (tries == 1)
                {
                    LogWaiting(logger, e, what);
                }

                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What}: storage does not answer; waiting for it (quietly until it does)")]
    private static partial void LogWaiting(ILogger logger, Exception exception, string what);

    [LoggerMessage(Level = LogLevel.Information, Message = "{What}: storage answers again (try {Tries})")]
    private static partial void LogAnswered(ILogger logger, string what, int tries);
}
