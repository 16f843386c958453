using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Housekeeping;

namespace Pipeline.LocalHost.Housekeeping;

/// <summary>The local host's timer for <see cref="JobReconciler"/> (the Functions app has a timer trigger).</summary>
public sealed class JobReconcilerLoop(IServiceProvider services, IOptions<LocalHostOptions> options, ILogger<JobReconcilerLoop> logger)
    : ResilientLoop(logger)
{
    protected override string What => "The reconciler";

    protected override TimeSpan Interval => options.Value.ReconcileInterval;

    protected override bool RunsAtStart => false;

    protected override Task RunOnceAsync(CancellationToken stoppingToken) =>
        services.GetRequiredService<JobReconciler>().RunAsync(services.GetRequiredService<DurableTaskClient>(), stoppingToken);
}
