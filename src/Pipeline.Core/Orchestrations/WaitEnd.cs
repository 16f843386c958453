namespace Pipeline.Core.Orchestrations;

/// <summary>How one of a job's waits ended: what it waited for came, a cancel request, the deadline, or the time it allowed.</summary>
internal abstract record WaitEnd
{
    private WaitEnd()
    {
    }

    public sealed record Delivered<T>(T Value) : WaitEnd;

    public sealed record Cancelled : WaitEnd;

    public sealed record DeadlinePassed : WaitEnd;

    /// <summary>The wait's own time passed (a poll is due, a retry may start), before the deadline.</summary>
    public sealed record Elapsed : WaitEnd;
}
