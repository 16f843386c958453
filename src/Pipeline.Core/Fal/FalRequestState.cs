namespace Pipeline.Core.Fal;

/// <summary>Where a queued fal request stands (<c>IN_QUEUE</c>, <c>IN_PROGRESS</c>, <c>COMPLETED</c>).</summary>
/// <remarks>A failed request is <see cref="Completed"/> too; its result call then answers with the error.</remarks>
public enum FalRequestState
{
    InQueue,
    InProgress,
    Completed,
}
