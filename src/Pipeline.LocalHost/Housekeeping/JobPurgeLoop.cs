using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Housekeeping;

namespace Pipeline.LocalHost.Housekeeping;

/// <summary>
/// The local host's timer for <see cref="JobPurger"/> (the Functions app has a timer trigger): at start, then every interval.
/// </summary>
public sealed class JobPurgeLoop(IServiceProvider services, IOptions<LocalHostOptions> options, ILogger<JobPurgeLoop> logger)
    : ResilientLoop(logger)
{
    protected override string What => "The purge";

    protected override TimeSpan Interval => options.Value.PurgeInterval;

    protected override Task RunOnceAsync(CancellationToken stoppingToken) =>
        services.GetRequiredService<JobPurger>().RunAsync(services.GetRequiredService<DurableTaskClient>(), stoppingToken);
}
