using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Housekeeping;

namespace Pipeline.LocalHost.Housekeeping;

/// <summary>The local host's timer for <see cref="JobReconciler"/> (the Functions app has a timer trigger).</summary>
public sealed class JobReconcilerLoop(IServiceProvider services, IOptions<LocalHostOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReconcileInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var reconciler = services.GetRequiredService<JobReconciler>();
            await reconciler.RunAsync(services.GetRequiredService<DurableTaskClient>(), stoppingToken);
        }
    }
}
