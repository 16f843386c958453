namespace Pipeline.Core.Events;

/// <summary>
/// Publishes a job event from inside the activity that made it true (submitted, stored), which saves the orchestration
/// a turn per event. Best effort: a failure returns false and the orchestration publishes the event itself, with
/// retries. A retried activity may publish twice; the CloudEvent id is the same, so subscribers can tell.
/// </summary>
public sealed partial class JobAnnouncer(JobEventPublisher publisher, ILogger<JobAnnouncer> logger)
{
    public async Task<bool> TryPublishAsync(JobEvent jobEvent, CancellationToken cancellationToken)
    {
        try
        {
            await publisher.PublishAsync(jobEvent, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogDeferred(jobEvent.Type, jobEvent.Data.Id, e.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Type} for job {JobId} not published from the activity ({Reason}); the orchestration publishes it")]
    private partial void LogDeferred(string type, string jobId, string reason);
}
