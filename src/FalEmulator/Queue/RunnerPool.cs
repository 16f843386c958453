namespace FalEmulator.Queue;

/// <summary>
/// The instance's runners. A request becomes ready when its queue latency has passed; free runners go to ready
/// requests in order of readiness, then submission, like fal's first-come-first-served queue. One pool decides, so two
/// requests that become ready a moment apart cannot overtake each other on a thread race.
/// </summary>
public sealed class RunnerPool : IDisposable
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<(DateTimeOffset ReadyAt, long Sequence), TaskCompletionSource> _waiting = [];
    private readonly TimeProvider _time;
    private readonly ITimer _wakeUp;
    private int _free;

    public RunnerPool(int runners, TimeProvider time)
    {
        _free = Math.Max(1, runners);
        _time = time;
        _wakeUp = time.CreateTimer(_ => Pump(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Completes when a runner is handed to this request (at <paramref name="readyAt"/> at the earliest).</summary>
    public async Task AcquireAsync(long sequence, DateTimeOffset readyAt, CancellationToken cancellationToken)
    {
        var key = (readyAt, sequence);
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _waiting.Add(key, waiter);
        }

        Pump();
        await using var withdraw = cancellationToken.Register(() =>
        {
            bool withdrawn;
            lock (_gate)
            {
                // Only a waiter that has not been handed a runner yet can be withdrawn.
                withdrawn = _waiting.Remove(key);
            }

            if (withdrawn)
            {
                waiter.TrySetCanceled(cancellationToken);
            }
        });
        await waiter.Task;
    }

    public void Release()
    {
        lock (_gate)
        {
            _free++;
        }

        Pump();
    }

    private void Pump()
    {
        var granted = new List<TaskCompletionSource>();
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            while (_free > 0 && _waiting.Count > 0)
            {
                var first = _waiting.First();
                if (first.Key.ReadyAt > now)
                {
                    // Wake up when the next request is ready.
                    _wakeUp.Change(first.Key.ReadyAt - now, Timeout.InfiniteTimeSpan);
                    break;
                }

                _waiting.Remove(first.Key);
                _free--;
                granted.Add(first.Value);
            }
        }

        foreach (var waiter in granted)
        {
            waiter.TrySetResult();
        }
    }

    public void Dispose() => _wakeUp.Dispose();
}
