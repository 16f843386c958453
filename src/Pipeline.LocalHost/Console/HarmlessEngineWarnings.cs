namespace Pipeline.LocalHost.Console;

/// <summary>
/// Two warnings of the durable engine that a local run meets all the time and that mean nothing is wrong; the console
/// leaves them out (<see cref="QuietConsoleLoggerProvider"/>). Every other warning of the same categories is kept.
/// </summary>
public static class HarmlessEngineWarnings
{
    /// <summary>The durable worker's gRPC category.</summary>
    public const string WorkerCategory = "Microsoft.DurableTask.Worker.Grpc";

    /// <summary>The worker's legacy category, which it logs the same lines to as well (its default).</summary>
    public const string LegacyWorkerCategory = "Microsoft.DurableTask";

    /// <summary>The Azure Storage backend's category.</summary>
    public const string StorageBackendCategory = "DurableTask.AzureStorage";

    /// <summary>
    /// <c>ConnectionTimeout</c>: "Channel to backend has stopped receiving traffic, will attempt to reconnect." The worker
    /// says it after two minutes without a work item, and reconnects. On this host the backend is the in-process
    /// sidecar, so an idle host (nothing to do) is the only way to get there; a backend that really fails says more.
    /// </summary>
    private const int ConnectionTimeoutEventId = 56;

    /// <summary>
    /// <c>DiscardingWorkItem</c> with "Instance is Completed": events that reach a job after it ended are deleted. A
    /// job that ends by fal's webhook leaves its poll timer behind, which fires later into the finished job: nearly
    /// every job does it, and nothing is lost (late webhooks and cancels of finished jobs are answered before they get
    /// here).
    /// </summary>
    private const int DiscardingWorkItemEventId = 139;

    /// <summary>Whether a category can log one of these warnings (others need no look at their messages).</summary>
    public static bool MayLogIn(string category) => category is WorkerCategory or LegacyWorkerCategory or StorageBackendCategory;

    public static bool IsHarmless(string category, LogLevel level, EventId eventId, string message) =>
        level == LogLevel.Warning && category switch
        {
            WorkerCategory or LegacyWorkerCategory => eventId.Id == ConnectionTimeoutEventId
                              && message.StartsWith("Channel to backend has stopped receiving traffic", StringComparison.Ordinal),
            StorageBackendCategory => eventId.Id == DiscardingWorkItemEventId
                                      && message.EndsWith(": Instance is Completed", StringComparison.Ordinal),
            _ => false,
        };
}
