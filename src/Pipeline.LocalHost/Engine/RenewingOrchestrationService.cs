using System.Collections.Concurrent;
using DurableTask.Core;

namespace Pipeline.LocalHost.Engine;

/// <summary>
/// The Azure Storage backend as the sidecar's dispatchers should drive it: a work item's queue messages stay invisible
/// for as long as its activity or orchestrator episode runs. DurableTask.Core's own dispatchers renew the lock; the
/// test host's sidecar never does, so an activity longer than the visibility timeout was picked up a second time, its
/// completion failed with <c>PopReceiptMismatch</c>, its message was never deleted, and after a restart it ran again
/// (a second fal submit for a finished job). Here every work item is renewed every third of the timeout from the moment
/// it is locked until it is completed, abandoned or released, so the timeout can stay short (a killed process's work
/// is picked up again within it) whatever the length of the work.
/// </summary>
internal sealed partial class RenewingOrchestrationService(IOrchestrationService inner, TimeSpan visibilityTimeout, ILogger logger)
    : IOrchestrationService
{
    /// <summary>An item held longer than this is let go: its worker is presumably gone (the sidecar waits for it forever).</summary>
    private static readonly TimeSpan MaxHold = TimeSpan.FromHours(3);

    private readonly ConcurrentDictionary<object, LockRenewal> _renewals = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _stopGate = new();
    private Task _starting = Task.CompletedTask;
    private Task? _stopping;

    private TimeSpan Interval => visibilityTimeout / 3;

    public async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        var item = await inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken);
        if (item is not null)
        {
            Hold(item, $"activity {item.TaskMessage?.OrchestrationInstance?.InstanceId}#{item.Id}", async () =>
            {
                var renewed = await inner.RenewTaskActivityWorkItemLockAsync(item);
                return renewed.LockedUntilUtc;
            });
        }

        return item!;
    }

    public async Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        await LetGoAsync(workItem);
        await inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);
    }

    public async Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
    {
        await LetGoAsync(workItem);
        await inner.AbandonTaskActivityWorkItemAsync(workItem);
    }

    public async Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(
        TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        var item = await inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken);
        if (item is not null)
        {
            Hold(item, $"orchestration {item.InstanceId}", async () =>
            {
                await inner.RenewTaskOrchestrationWorkItemLockAsync(item);
                return item.LockedUntilUtc;
            });
        }

        return item!;
    }

    public async Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState)
    {
        await LetGoAsync(workItem);
        await inner.CompleteTaskOrchestrationWorkItemAsync(
            workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage,
            orchestrationState);
    }

    public async Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem)
    {
        await LetGoAsync(workItem);
        await inner.AbandonTaskOrchestrationWorkItemAsync(workItem);
    }

    public async Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem)
    {
        await LetGoAsync(workItem);
        await inner.ReleaseTaskOrchestrationWorkItemAsync(workItem);
    }

    // The dispatchers renew nothing themselves; renewal belongs to this class alone.
    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) =>
        inner.RenewTaskActivityWorkItemLockAsync(workItem);

    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) =>
        inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;

    public int MaxConcurrentTaskOrchestrationWorkItems => inner.MaxConcurrentTaskOrchestrationWorkItems;

    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;

    public int MaxConcurrentTaskActivityWorkItems => inner.MaxConcurrentTaskActivityWorkItems;

    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;

    /// <summary>
    /// Starts the backend unless it is being stopped. The sidecar starts it from a fire-and-forget callback once a worker
    /// connects, or when its host stops before one did: a backend started after its stop would poll on unseen.
    /// </summary>
    public Task StartAsync()
    {
        lock (_stopGate)
        {
            return _stopping is null ? _starting = inner.StartAsync() : Task.CompletedTask;
        }
    }

    public Task StopAsync() => StopAsync(isForced: false);

    /// <summary>
    /// Stops the backend once, whoever asks first; later calls share that stop. The sidecar stops it from a
    /// fire-and-forget callback once its dispatchers are done, and the host stops it (forced) in case they never are: two
    /// stops at once throw inside the backend's lease manager, and a throw in that callback ends the process.
    /// </summary>
    public Task StopAsync(bool isForced)
    {
        lock (_stopGate)
        {
            return _stopping ??= StopOnceAsync(_starting, isForced);
        }
    }

    private async Task StopOnceAsync(Task starting, bool isForced)
    {
        try
        {
            await starting; // a stop in the middle of the start left loops running (and threw)
            await LetGoOfEverythingAsync();
            await inner.StopAsync(isForced);
        }
        catch (Exception e)
        {
            // Nothing is left to do with a backend that failed to stop: its loops were cancelled first, and the process
            // or host is going away.
            LogStopFailed(logger, e.GetType().Name, e.Message);
        }
    }

    public Task CreateAsync() => inner.CreateAsync();

    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);

    public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();

    public Task DeleteAsync() => inner.DeleteAsync();

    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);

    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) =>
        inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);

    public int GetDelayInSecondsAfterOnProcessException(Exception exception) => inner.GetDelayInSecondsAfterOnProcessException(exception);

    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);

    /// <summary>Work items being renewed now (tests).</summary>
    internal int Held => _renewals.Count;

    private void Hold(object workItem, string what, Func<Task<DateTime>> renew)
    {
        lock (_stopGate)
        {
            if (_stopping is null)
            {
                _renewals[workItem] = new LockRenewal(what, renew, Interval, logger);
            }
        }
    }

    /// <summary>
    /// The host stops: no lock is renewed any more, so each work item it still holds becomes visible again within the
    /// visibility timeout and another host takes it up (renewed on, they would wait up to <see cref="MaxHold"/>).
    /// </summary>
    private async Task LetGoOfEverythingAsync()
    {
        foreach (var workItem in _renewals.Keys.ToList())
        {
            await LetGoAsync(workItem);
        }
    }

    /// <summary>Stops the renewal and waits for one in flight, so the completion's delete uses the newest pop receipt.</summary>
    private async Task LetGoAsync(object workItem)
    {
        if (_renewals.TryRemove(workItem, out var renewal))
        {
            await renewal.DisposeAsync();
        }
    }

    /// <summary>One work item's renewal loop.</summary>
    private sealed class LockRenewal : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public LockRenewal(string what, Func<Task<DateTime>> renew, TimeSpan interval, ILogger logger)
        {
            _loop = Task.Run(() => LoopAsync(what, renew, interval, logger, _stop.Token));
        }

        /// <summary>Stops the loop and waits for a renewal in flight.</summary>
        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }

        private static async Task LoopAsync(
            string what, Func<Task<DateTime>> renew, TimeSpan interval, ILogger logger, CancellationToken stop)
        {
            var heldSince = DateTime.UtcNow;
            var lockedUntil = DateTime.UtcNow + interval * 3;
            try
            {
                while (true)
                {
                    await Task.Delay(interval, stop);
                    if (DateTime.UtcNow - heldSince > MaxHold)
                    {
                        LogGivenUp(logger, what, MaxHold);
                        return;
                    }

                    try
                    {
                        lockedUntil = await renew();
                        if (lockedUntil <= DateTime.UtcNow)
                        {
                            return; // the provider no longer knows the item (it was completed meanwhile)
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // A transient failure is tried again while the lock lasts; a lost lock cannot be won back.
                        LogRenewFailed(logger, what, e.Message);
                        if (DateTime.UtcNow >= lockedUntil)
                        {
                            return;
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // completed, abandoned or released
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Durable engine: the lock of {WorkItem} could not be renewed ({Reason})")]
    private static partial void LogRenewFailed(ILogger logger, string workItem, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Durable engine: the backend did not stop cleanly ({Error}: {Reason})")]
    private static partial void LogStopFailed(ILogger logger, string error, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Durable engine: {WorkItem} held for {MaxHold} without an answer from the worker; "
        + "its lock is no longer renewed")]
    private static partial void LogGivenUp(ILogger logger, string workItem, TimeSpan maxHold);
}
