using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Housekeeping;

namespace Pipeline.LocalHost.Housekeeping;

/// <summary>The local host's timer for <see cref="JobPurger"/> (the Functions app has a timer trigger): at start, then every interval.</summary>
public sealed partial class JobPurgeLoop(IServiceProvider services, IOptions<LocalHostOptions> options, ILogger<JobPurgeLoop> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PurgeInterval);
        do
        {
            try
            {
                await services.GetRequiredService<JobPurger>().RunAsync(services.GetRequiredService<DurableTaskClient>(), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(e); // storage away for a moment: the next tick tries again
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The purge failed; the next run tries again")]
    private partial void LogFailed(Exception exception);
}
