namespace Pipeline.Core.Fal;

/// <summary>A status poll's answer.</summary>
/// <param name="QueuePosition">Set while <see cref="FalRequestState.InQueue"/>.</param>
/// <param name="Error">fal's error message on a failed <see cref="FalRequestState.Completed"/> request (newer answers only).</param>
/// <param name="ErrorType">fal's error type alongside <paramref name="Error"/>.</param>
public sealed record FalRequestStatus(
    string RequestId,
    FalRequestState State,
    int? QueuePosition,
    string? Error,
    string? ErrorType);
