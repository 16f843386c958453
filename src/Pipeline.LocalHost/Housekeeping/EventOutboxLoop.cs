using Microsoft.Extensions.Options;
using Pipeline.Core.Events;

namespace Pipeline.LocalHost.Housekeeping;

/// <summary>The local host's timer for <see cref="EventOutbox.SweepAsync"/> (the Functions app has a timer trigger).</summary>
public sealed class EventOutboxLoop(EventOutbox outbox, IOptions<LocalHostOptions> options, ILogger<EventOutboxLoop> logger)
    : ResilientLoop(logger)
{
    protected override string What => "Delivering kept events";

    protected override TimeSpan Interval => options.Value.OutboxInterval;

    protected override Task RunOnceAsync(CancellationToken stoppingToken) => outbox.SweepAsync(stoppingToken);
}
