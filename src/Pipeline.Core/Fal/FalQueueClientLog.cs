using Microsoft.Extensions.Logging;

namespace Pipeline.Core.Fal;

/// <summary>
/// The client's log lines. They name the endpoint, request id, attempt and status; never the key, the input body
/// (it may hold SAS URLs) or the webhook URL (it may hold a function key).
/// </summary>
internal static partial class FalQueueClientLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "fal {Operation} of {Target}: attempt {Attempt}")]
    public static partial void Sending(ILogger logger, string operation, string target, int attempt);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "fal accepted request {RequestId} for {EndpointId} (queue position {QueuePosition}, webhook {HasWebhook})")]
    public static partial void Submitted(ILogger logger, string requestId, string endpointId, int? queuePosition, bool hasWebhook);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "fal request {RequestId} is {State} (queue position {QueuePosition})")]
    public static partial void StatusReceived(ILogger logger, string requestId, FalRequestState state, int? queuePosition);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "fal request {RequestId} returned its video")]
    public static partial void ResultReceived(ILogger logger, string requestId);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "fal cancel of {RequestId}: {Outcome}")]
    public static partial void CancelAnswered(ILogger logger, string requestId, FalCancelOutcome outcome);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "fal request history of {Target}: {Count} request(s), more {HasMore}")]
    public static partial void RequestsListed(ILogger logger, string target, int count, bool hasMore);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning,
        Message = "fal {Operation} of {Target}: attempt {Attempt} answered {StatusCode}; retrying in {Delay}")]
    public static partial void RetryingAfterStatus(
        ILogger logger, string operation, string target, int attempt, int statusCode, TimeSpan delay);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning,
        Message = "fal {Operation} of {Target}: attempt {Attempt} got no answer within {Timeout}; retrying in {Delay}")]
    public static partial void RetryingAfterTimeout(
        ILogger logger, string operation, string target, int attempt, TimeSpan timeout, TimeSpan delay);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning,
        Message = "fal {Operation} of {Target}: attempt {Attempt} failed to connect; retrying in {Delay}")]
    public static partial void RetryingAfterNetworkError(
        ILogger logger, string operation, string target, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning,
        Message = "fal {Operation} of {Target} failed after {Attempts} attempt(s): "
            + "status {StatusCode}, error type {ErrorCode}, retryable {IsRetryable}")]
    public static partial void Failed(
        ILogger logger, string operation, string target, int attempts, int? statusCode, string? errorCode, bool isRetryable);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning,
        Message = "A fal answer named {Host}, which is not a configured fal host: nothing was sent there (the key stays with fal)")]
    public static partial void ForeignHostRefused(ILogger logger, string host);
}
