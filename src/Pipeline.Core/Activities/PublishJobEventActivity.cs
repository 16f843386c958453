using Pipeline.Core.Events;

namespace Pipeline.Core.Activities;

/// <summary>
/// Publishes one job event as a CloudEvent (versions 1 and 2): delivered, or kept in the outbox for later delivery, so
/// it answers true either way; it fails only when the event could not even be kept.
/// </summary>
public sealed class PublishJobEventActivity(EventOutbox outbox) : IPipelineActivity<JobEvent, bool>
{
    public const string Name = "PublishJobEvent";

    public async Task<bool> RunAsync(JobEvent input, CancellationToken cancellationToken)
    {
        await outbox.AnnounceAsync(input, queueBehind: false, cancellationToken);
        return true;
    }
}

/// <summary>Announces one job event (version 3): delivered, or kept in the outbox; fails only when it could not be kept.</summary>
public sealed class AnnounceJobEventActivity(EventOutbox outbox) : IPipelineActivity<JobAnnouncement, AnnounceOutcome>
{
    public Task<AnnounceOutcome> RunAsync(JobAnnouncement input, CancellationToken cancellationToken) =>
        outbox.AnnounceAsync(input.Event, input.QueueBehind, cancellationToken);
}
