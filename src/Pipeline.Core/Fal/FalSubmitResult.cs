namespace Pipeline.Core.Fal;

/// <summary>fal's answer to a submit: the queue id and where to ask for status, result and cancellation.</summary>
/// <param name="RequestId">The queue id; webhooks carry the same <c>request_id</c>.</param>
/// <param name="GatewayRequestId">Differs from <paramref name="RequestId"/> only when fal retried internally.</param>
/// <param name="QueuePosition">Requests ahead of this one, when fal says.</param>
public sealed record FalSubmitResult(
    string RequestId,
    string? GatewayRequestId,
    Uri StatusUrl,
    Uri ResponseUrl,
    Uri CancelUrl,
    int? QueuePosition);
