namespace Pipeline.Core.Events;

/// <summary>
/// Announces a job event from inside the step that made it true (submitted, stored), which saves the orchestration a
/// turn per event: delivered, or kept in the <see cref="EventOutbox"/> for later delivery. Only when even keeping it
/// fails (storage away) does it answer null, and the orchestration announces the event itself. A step that runs again
/// announces again under the same CloudEvent id, so subscribers can tell.
/// </summary>
public sealed partial class JobAnnouncer(EventOutbox outbox, ILogger<JobAnnouncer> logger)
{
    public async Task<AnnounceOutcome?> TryAnnounceAsync(JobEvent jobEvent, bool queueBehind, CancellationToken cancellationToken)
    {
        try
        {
            return await outbox.AnnounceAsync(jobEvent, queueBehind, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogDeferred(jobEvent.Type, jobEvent.Data.Id, e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "{Type} for job {JobId} neither published nor kept by the step ({Reason}); the orchestration announces it")]
    private partial void LogDeferred(string type, string jobId, string reason);
}
