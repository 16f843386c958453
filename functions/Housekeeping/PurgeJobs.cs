using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Housekeeping;

namespace Pipeline.Functions.Housekeeping;

/// <summary>Every hour: purges finished jobs and usage past their retention (<see cref="JobPurger"/>).</summary>
public sealed class PurgeJobs(JobPurger purger)
{
    [Function(nameof(PurgeJobs))]
    public Task RunAsync(
        [TimerTrigger("0 17 * * * *")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        purger.RunAsync(client, cancellationToken);
}
