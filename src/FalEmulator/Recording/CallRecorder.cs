using System.Collections.Concurrent;

namespace FalEmulator.Recording;

/// <summary>The kinds of call a fal client makes, for counting what a job cost.</summary>
public enum CallKind
{
    Submit,
    Status,
    Result,
    Cancel,
    /// <summary>The platform API's <c>DELETE /v1/models/requests/{id}/payloads</c> (admin key).</summary>
    DeletePayloads,
    /// <summary>The platform API's <c>GET /v1/models/requests/by-endpoint</c> (the request history).</summary>
    ListRequests,
    File,
    Jwks,
    Control,
    Other,
}

/// <summary>One HTTP request the emulator received, and its answer.</summary>
public sealed record RecordedCall(
    DateTimeOffset At, CallKind Kind, string Method, string Path, string Query, int StatusCode, string? RequestId);

/// <summary>One webhook delivery attempt the emulator made.</summary>
/// <param name="Outcome">"delivered", "failed" (non-2xx or network error), or "dropped" (the drop fault).</param>
public sealed record RecordedDelivery(
    DateTimeOffset At, string RequestId, string Url, int Attempt, int? StatusCode, string Outcome, bool BadSignature);

/// <summary>Everything the instance received and sent, so tests can assert how many fal calls a job cost.</summary>
public sealed class CallRecorder
{
    private readonly ConcurrentQueue<RecordedCall> _calls = new();
    private readonly ConcurrentQueue<RecordedDelivery> _deliveries = new();

    public IReadOnlyList<RecordedCall> Calls => [.. _calls];

    public IReadOnlyList<RecordedDelivery> Deliveries => [.. _deliveries];

    public void Record(RecordedCall call) => _calls.Enqueue(call);

    public void Record(RecordedDelivery delivery) => _deliveries.Enqueue(delivery);

    /// <summary>The calls about one request (its submit included).</summary>
    public IReadOnlyList<RecordedCall> CallsFor(string requestId) =>
        [.. _calls.Where(c => string.Equals(c.RequestId, requestId, StringComparison.Ordinal))];

    public void Clear()
    {
        _calls.Clear();
        _deliveries.Clear();
    }
}
