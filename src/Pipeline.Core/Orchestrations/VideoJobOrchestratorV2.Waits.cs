using Pipeline.Core.Activities;
using Pipeline.Core.Jobs;
using Pipeline.Core.Logging;

namespace Pipeline.Core.Orchestrations;

/// <summary>
/// Versions 1 and 2 of the video job, waiting: the job's event waiters, the wait for fal's verdict (webhook or poll),
/// for a slot, for a companion and for a lost submit's webhook, each raced against a durable timer and the deadline.
/// </summary>
internal static partial class VideoJobOrchestratorV2
{
    private sealed partial class JobRun
    {
        // One waiter per event for the whole job, cancelled when it ends: a cancelled waiter must not swallow a later
        // event (durable-extension#3255), and no waiter may outlive the job.
        private CancellationToken _stopWaiting;
        private Task<CancelRequest>? _cancelWait;
        private Task<FalCompletion>? _webhookWait;
        private Task<string>? _slotFreedWait;

        private Task<CancelRequest> CancelWait => _cancelWait ??= context.WaitForExternalEvent<CancelRequest>(CancelEvent, _stopWaiting);

        private Task<string> SlotFreedWait => _slotFreedWait ??= context.WaitForExternalEvent<string>(SlotFreedEvent, _stopWaiting);

        private Task<FalCompletion> WebhookWait =>
            _webhookWait ??= context.WaitForExternalEvent<FalCompletion>(FalCompletedEvent, _stopWaiting);

        /// <summary>
        /// Waits for fal's verdict: the webhook event, or, each time the timer wins, a poll. Returns the completion, or
        /// the reason the wait ended without one (<see cref="CancelEvent"/>, the deadline, a request fal lost).
        /// </summary>
        private async Task<(FalCompletion? Completion, string? Ending)> WaitForFalAsync(DateTime deadline)
        {
            var wait = job.Timings.WebhookWait;
            var lostPolls = 0;
            while (true)
            {
                var now = context.CurrentUtcDateTime;
                if (now >= deadline)
                {
                    return (null, DeadlineEnding);
                }

                using var timerCts = new CancellationTokenSource();
                var wakeAt = now + wait < deadline ? now + wait : deadline;
                var timer = context.CreateTimer(wakeAt, timerCts.Token);
                var winner = await Task.WhenAny(WebhookWait, CancelWait, timer);
                if (winner != timer)
                {
                    // An outstanding timer would keep the instance running. Cancel synchronously: an orchestrator
                    // must not await work that completes on another thread (CancelAsync does).
                    timerCts.Cancel();
                }

                if (winner == CancelWait)
                {
                    return (null, CancelEvent);
                }

                if (winner == WebhookWait)
                {
                    var delivered = await TakeWebhookAsync();
                    if (string.Equals(delivered.RequestId, _fal!.RequestId, StringComparison.Ordinal))
                    {
                        return (delivered, null);
                    }

                    if (_unconfirmedSubmits > 0)
                    {
                        // A submit whose answer was lost was queued after all: it is billed, so its video is used
                        // and the later request is cancelled (free while still queued at fal).
                        Record(delivered.RequestId);
                        if (delivered.Succeeded)
                        {
                            await TryActivityAsync<bool>(CancelFalRequestActivity.Name, _fal!);
                            return (delivered, null);
                        }
                    }

                    _log.ForeignWebhookIgnored(job.Id, delivered.RequestId, _fal.RequestId);
                    continue;
                }

                if (context.CurrentUtcDateTime >= deadline)
                {
                    return (null, DeadlineEnding);
                }

                var poll = await TryActivityAsync<FalPoll>(CheckFalStatusActivity.Name, _fal!);
                if (poll?.Completion is { } polled)
                {
                    return (polled, null);
                }

                lostPolls = poll is { NotFound: true } ? lostPolls + 1 : poll is null ? lostPolls : 0;
                if (lostPolls >= MaxLostPolls)
                {
                    return (null, LostEnding);
                }

                if (poll is { NotFound: false })
                {
                    Progress(poll.State == Fal.FalRequestState.InQueue ? JobStages.Queued : JobStages.Running, poll.QueuePosition);
                }

                wait = job.Timings.PollInterval;
            }
        }

        /// <summary>Takes the delivered webhook; the next one gets a new waiter.</summary>
        private async Task<FalCompletion> TakeWebhookAsync()
        {
            var delivered = await WebhookWait;
            _webhookWait = null;
            return delivered;
        }

        /// <summary>
        /// How long a job waits before it looks for a slot again: the interval, doubling up to 16 times it, spread by
        /// ±25 % so that a hundred waiting jobs do not look all at once and flood the engine with turns. The spread comes
        /// from the job's id and the attempt, not from a random number, so replays see the same waits.
        /// </summary>
        private TimeSpan SlotBackoff(int attempt)
        {
            var interval = job.Timings.SlotRetry ?? TimeSpan.FromSeconds(10);
            var hash = 2166136261u;
            foreach (var c in $"{job.Id}/{attempt}")
            {
                hash = (hash ^ c) * 16777619u;
            }

            var spread = 0.75 + (hash % 1000 / 2000.0);
            return interval * Math.Min(1 << Math.Min(attempt - 1, 4), 16) * spread;
        }

        /// <summary>
        /// Waits until a job that gave its slot back wakes this one, or <paramref name="fallback"/> passes (a wake-up
        /// lost with a job that died); returns null, or why the wait ended (a cancel request, the deadline).
        /// </summary>
        private async Task<string?> WaitForSlotAsync(TimeSpan fallback, DateTime deadline)
        {
            var now = context.CurrentUtcDateTime;
            if (now >= deadline)
            {
                return DeadlineEnding;
            }

            using var timerCts = new CancellationTokenSource();
            var timer = context.CreateTimer(now + fallback < deadline ? now + fallback : deadline, timerCts.Token);
            var winner = await Task.WhenAny(SlotFreedWait, CancelWait, timer);
            if (winner != timer)
            {
                timerCts.Cancel();
            }

            if (winner == SlotFreedWait)
            {
                _slotFreedWait = null;
                return null;
            }

            return winner == CancelWait ? CancelEvent : context.CurrentUtcDateTime >= deadline ? DeadlineEnding : null;
        }

        /// <summary>Waits <paramref name="wait"/> (at most until the deadline); returns null, or why the wait ended early.</summary>
        private async Task<string?> WaitOrEndAsync(TimeSpan wait, DateTime deadline)
        {
            var now = context.CurrentUtcDateTime;
            using var timerCts = new CancellationTokenSource();
            var timer = context.CreateTimer(now + wait < deadline ? now + wait : deadline, timerCts.Token);
            var winner = await Task.WhenAny(CancelWait, timer);
            if (winner != timer)
            {
                timerCts.Cancel();
                return CancelEvent;
            }

            return context.CurrentUtcDateTime >= deadline ? DeadlineEnding : null;
        }

        /// <summary>
        /// Wakes the job waiting longest for the slot this one gave back (an orchestration-to-orchestration event, no
        /// I/O here).
        /// </summary>
        private void Wake(string? jobId)
        {
            if (jobId is not null && jobId != job.Id)
            {
                context.SendEvent(jobId, SlotFreedEvent, job.Id);
            }
        }

        /// <summary>
        /// After a submit whose answer was lost: waits for any webhook for this job (it names the job, whatever request
        /// id fal gave it) until <see cref="JobTimings.UnconfirmedSubmitWait"/> or the deadline; a cancel request ends it.
        /// </summary>
        private async Task<(FalCompletion? Completion, string? Ending)> WaitForUnconfirmedSubmitAsync(DateTime deadline)
        {
            using var timerCts = new CancellationTokenSource();
            var wakeAt = context.CurrentUtcDateTime + (job.Timings.UnconfirmedSubmitWait ?? DefaultUnconfirmedSubmitWait);
            var timer = context.CreateTimer(wakeAt < deadline ? wakeAt : deadline, timerCts.Token);
            var winner = await Task.WhenAny(WebhookWait, CancelWait, timer);
            if (winner != timer)
            {
                timerCts.Cancel();
            }

            if (winner == WebhookWait)
            {
                var delivered = await TakeWebhookAsync();
                Record(delivered.RequestId);
                return (delivered, null);
            }

            return (null, winner == CancelWait ? CancelEvent : context.CurrentUtcDateTime >= deadline ? DeadlineEnding : null);
        }
    }
}
