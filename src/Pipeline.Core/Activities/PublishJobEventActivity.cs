using Pipeline.Core.Events;

namespace Pipeline.Core.Activities;

/// <summary>Publishes one job event as a CloudEvent (retried by the orchestration's policy).</summary>
public sealed class PublishJobEventActivity(JobEventPublisher publisher) : IPipelineActivity<JobEvent, bool>
{
    public const string Name = "PublishJobEvent";

    public async Task<bool> RunAsync(JobEvent input, CancellationToken cancellationToken)
    {
        await publisher.PublishAsync(input, cancellationToken);
        return true;
    }
}
