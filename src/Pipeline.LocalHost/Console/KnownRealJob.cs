using Pipeline.Core.Jobs;
using Pipeline.Core.Storage;
using Pipeline.Core.Inbox;

namespace Pipeline.LocalHost.Console;

/// <summary>
/// Whether the console may speak of a job yet. A <c>.json</c> dropped into the inbox starts a job that may turn out to
/// be its image's sidecar, which ends superseded having sent nothing: announcing it would tell of a job that never was.
/// Such a job is known to be real once it is more than a sidecar can be (past submitting and preparing, or holding a
/// fal request) or once it ended another way; every other job is real from its start.
/// </summary>
public static class KnownRealJob
{
    public static bool WhileRunning(VideoJob? job, JobProgress? progress) =>
        !MayBeSidecar(job)
        || progress?.FalRequestId is not null
        || progress?.Stage is not (null or JobStages.Submitting or JobStages.Preparing);

    public static bool AtItsEnd(VideoJobResult? result) => result?.Outcome is not JobOutcome.Superseded;

    private static bool MayBeSidecar(VideoJob? job) =>
        job?.Source is { Kind: JobSourceKind.Inbox, BlobName: { } name } && InboxReader.IsSidecar(name);
}
