using Pipeline.Core.Jobs;

namespace Pipeline.Core.Orchestrations;

/// <summary>The job's waits: one waiter per event for the whole job, raced against a durable timer by one helper.</summary>
internal sealed partial class VideoJobRun
{
    // Cancelled when the job ends: a cancelled waiter must not swallow a later event (durable-extension#3255), and no
    // waiter may outlive the job.
    private CancellationToken _stopWaiting;
    private Task<CancelRequest>? _cancelWait;
    private Task<FalCompletion>? _webhookWait;
    private Task<string>? _slotFreedWait;

    private Task<CancelRequest> CancelWait =>
        _cancelWait ??= _context.WaitForExternalEvent<CancelRequest>(VideoJobOrchestrator.CancelEvent, _stopWaiting);

    private Task<FalCompletion> WebhookWait =>
        _webhookWait ??= _context.WaitForExternalEvent<FalCompletion>(VideoJobOrchestrator.FalCompletedEvent, _stopWaiting);

    private Task<string> SlotFreedWait =>
        _slotFreedWait ??= _context.WaitForExternalEvent<string>(VideoJobOrchestrator.SlotFreedEvent, _stopWaiting);

    /// <summary>
    /// Waits for <paramref name="awaited"/> (null: for nothing but time) or a cancel request until <paramref name="wakeAt"/>,
    /// and at most until <paramref name="deadline"/>. An event delivered is taken: the next wait for it gets a new waiter.
    /// </summary>
    private async Task<WaitEnd> WaitAsync<T>(Task<T>? awaited, DateTime wakeAt, DateTime? deadline)
    {
        if (deadline is { } end && Now >= end)
        {
            return new WaitEnd.DeadlinePassed();
        }

        using var timerCts = new CancellationTokenSource();
        var timer = _context.CreateTimer(deadline is { } until && until < wakeAt ? until : wakeAt, timerCts.Token);
        var winner = awaited is null ? await Task.WhenAny(CancelWait, timer) : await Task.WhenAny(awaited, CancelWait, timer);
        if (winner != timer)
        {
            // An outstanding timer would keep the instance running. Cancel synchronously: an orchestrator must not await
            // work that completes on another thread (CancelAsync does).
            timerCts.Cancel();
        }

        if (winner == CancelWait)
        {
            return new WaitEnd.Cancelled();
        }

        if (awaited is not null && winner == awaited)
        {
            Taken(awaited);
            return new WaitEnd.Delivered<T>(await awaited);
        }

        return deadline is { } passed && Now >= passed ? new WaitEnd.DeadlinePassed() : new WaitEnd.Elapsed();
    }

    private void Taken(Task task)
    {
        if (task == _webhookWait)
        {
            _webhookWait = null;
        }
        else if (task == _slotFreedWait)
        {
            _slotFreedWait = null;
        }
    }

    /// <summary>
    /// How long a job waits before it looks for a slot again: the interval, doubling up to 16 times it, spread by ±25 %
    /// so that a hundred waiting jobs do not look all at once. The spread comes from the job's id and the attempt, not
    /// from a random number, so replays see the same waits.
    /// </summary>
    private TimeSpan SlotBackoff(int attempt)
    {
        var interval = _job.Timings.SlotRetry ?? TimeSpan.FromSeconds(10);
        var hash = 2166136261u;
        foreach (var c in $"{_job.Id}/{attempt}")
        {
            hash = (hash ^ c) * 16777619u;
        }

        var spread = 0.75 + (hash % 1000 / 2000.0);
        return interval * Math.Min(1 << Math.Min(attempt - 1, 4), 16) * spread;
    }

    /// <summary>Wakes the job waiting longest for the slot this one gave back (an orchestration-to-orchestration event).</summary>
    private void Wake(string? jobId)
    {
        if (jobId is not null && jobId != _job.Id)
        {
            _context.SendEvent(jobId, VideoJobOrchestrator.SlotFreedEvent, _job.Id);
        }
    }
}
