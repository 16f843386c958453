using Microsoft.DurableTask;
using Pipeline.Core.Jobs;

namespace Pipeline.Core.Orchestrations;

/// <summary>
/// One video job, from request to stored video: the orchestration's name, version and events, and the door to the steps
/// of the job's version. A job keeps the steps of the version it started with when a deploy brings new code: versions
/// 1 and 2 run their frozen steps (<see cref="VideoJobOrchestratorV2"/>), version 3 runs <see cref="VideoJobRun"/>.
/// </summary>
public static class VideoJobOrchestrator
{
    public const string Name = "VideoJob";

    /// <summary>The version new jobs start with (host.json's <c>defaultVersion</c> says the same in Azure).</summary>
    public const string Version = "3";

    /// <summary>Raised by the webhook endpoint with a <see cref="FalCompletion"/>.</summary>
    public const string FalCompletedEvent = "FalCompleted";

    /// <summary>Sent by a job that gave its concurrency slot back to the longest-waiting job.</summary>
    public const string SlotFreedEvent = "SlotFreed";

    /// <summary>Raised by <c>DELETE /api/videos/{id}</c> with a <see cref="CancelRequest"/>.</summary>
    public const string CancelEvent = "CancelRequested";

    public static Task<VideoJobResult> RunAsync(TaskOrchestrationContext context, VideoJob job) =>
        IsFrozen(context.Version)
            ? VideoJobOrchestratorV2.RunAsync(context, job)
            : new VideoJobRun(context, job).RunAsync();

    /// <summary>Versions 1 (started unversioned) and 2.</summary>
    public static bool IsFrozen(string? version) => string.IsNullOrEmpty(version) || version is "1" or "2";
}
