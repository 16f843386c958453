using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Housekeeping;

namespace Pipeline.Functions.Housekeeping;

/// <summary>Every minute: settles jobs whose orchestration ended without settling them (<see cref="JobReconciler"/>).</summary>
public sealed class ReconcileJobs(JobReconciler reconciler)
{
    [Function(nameof(ReconcileJobs))]
    public Task RunAsync(
        [TimerTrigger("0 * * * * *")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        reconciler.RunAsync(client, cancellationToken);
}
