namespace Pipeline.Core.Fal;

/// <summary>
/// fal refused or failed a call, could not be reached, or did not answer in time. The one error type of
/// <see cref="FalQueueClient"/> (caller cancellation stays an <see cref="OperationCanceledException"/>).
/// It never carries the fal key.
/// </summary>
public class FalApiException : Exception
{
    /// <summary>Longest <see cref="ResponseBody"/> kept: enough for fal's error lists, bounded for logs and storage.</summary>
    public const int MaxResponseBodyLength = 2_000;

    public FalApiException()
        : this("fal call failed", status: null, errorCode: null, requestId: null, isRetryable: false)
    {
    }

    public FalApiException(string message)
        : this(message, status: null, errorCode: null, requestId: null, isRetryable: false)
    {
    }

    public FalApiException(string message, Exception? innerException)
        : this(message, status: null, errorCode: null, requestId: null, isRetryable: false, innerException: innerException)
    {
    }

    public FalApiException(
        string message,
        int? status,
        string? errorCode,
        string? requestId,
        bool isRetryable,
        IReadOnlyList<FalErrorDetail>? detail = null,
        string? responseBody = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
        ErrorCode = errorCode;
        RequestId = requestId;
        IsRetryable = isRetryable;
        Detail = detail ?? [];
        ResponseBody = responseBody is { Length: > MaxResponseBodyLength } ? responseBody[..MaxResponseBodyLength] : responseBody;
    }

    /// <summary>The HTTP status fal answered with; null when it could not be reached or did not answer in time.</summary>
    public int? Status { get; }

    /// <summary>fal's error type: the first <c>detail[].type</c>, else <c>error_type</c>, else <c>X-Fal-Error-Type</c>.</summary>
    public string? ErrorCode { get; }

    /// <summary>The fal request id, when known.</summary>
    public string? RequestId { get; }

    /// <summary>
    /// Whether trying again may help: fal's <c>X-Fal-Retryable</c> / <c>X-Fal-Needs-Retry</c> when it sent one,
    /// else true for 429, 500, 502, 503, 504, network errors and timeouts.
    /// </summary>
    public bool IsRetryable { get; }

    /// <summary>fal's <c>detail</c> list (empty when fal sent a plain message).</summary>
    public IReadOnlyList<FalErrorDetail> Detail { get; }

    /// <summary>The answer's body, cut to <see cref="MaxResponseBodyLength"/> characters.</summary>
    public string? ResponseBody { get; }
}
