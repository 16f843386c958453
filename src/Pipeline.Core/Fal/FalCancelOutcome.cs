namespace Pipeline.Core.Fal;

/// <summary>fal's answer to a cancel.</summary>
public enum FalCancelOutcome
{
    /// <summary>Queued: removed and never runs. Running: signalled; it may still finish normally.</summary>
    CancellationRequested,

    /// <summary>The request had already finished; its result stands.</summary>
    AlreadyCompleted,

    /// <summary>fal does not know the request.</summary>
    NotFound,
}
