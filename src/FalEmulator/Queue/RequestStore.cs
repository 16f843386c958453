using System.Collections.Concurrent;

namespace FalEmulator.Queue;

/// <summary>Every request the instance has accepted, by id.</summary>
public sealed class RequestStore
{
    private readonly ConcurrentDictionary<string, QueuedRequest> _requests = new(StringComparer.Ordinal);
    private long _sequence;

    public long NextSequence() => Interlocked.Increment(ref _sequence);

    public void Add(QueuedRequest request) => _requests[request.RequestId] = request;

    /// <summary>The request with this id if it was submitted to <paramref name="app"/> (owner/alias), as fal scopes ids.</summary>
    public QueuedRequest? Find(string app, string requestId) =>
        _requests.TryGetValue(requestId, out var request) && string.Equals(request.App, app, StringComparison.Ordinal) ? request : null;

    public QueuedRequest? Find(string requestId) => _requests.GetValueOrDefault(requestId);

    public IReadOnlyList<QueuedRequest> All => [.. _requests.Values.OrderBy(r => r.Sequence)];

    /// <summary>How many requests of the same app are ahead in the queue (0 = next to run).</summary>
    public int QueuePosition(QueuedRequest request) =>
        _requests.Values.Count(other => other.Sequence < request.Sequence
            && other.State == RequestState.InQueue
            && string.Equals(other.App, request.App, StringComparison.Ordinal));
}
