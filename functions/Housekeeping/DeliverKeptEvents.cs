using Microsoft.Azure.Functions.Worker;
using Pipeline.Core.Events;

namespace Pipeline.Functions.Housekeeping;

/// <summary>Every minute: offers the job events Event Grid did not take again (<see cref="EventOutbox"/>).</summary>
public sealed class DeliverKeptEvents(EventOutbox outbox)
{
    [Function(nameof(DeliverKeptEvents))]
    public Task RunAsync([TimerTrigger("30 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        outbox.SweepAsync(cancellationToken);
}
