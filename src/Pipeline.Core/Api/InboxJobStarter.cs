using Azure;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Api;

/// <summary>
/// What the inbox trigger does with a new blob: start one job per blob version (the id hashes container, name and
/// ETag, so a redelivered event is a no-op). The orchestration reads the blob and its sidecar itself. A name the
/// pipeline refuses (<see cref="InboxNames"/>) is never used to reach storage: it is logged and leaves a marker in
/// <c>videos/_refused/</c>; an empty image or request leaves a marker where its video would go.
/// </summary>
public partial class InboxJobStarter(PipelineStorage storage, JobScheduler scheduler, InboxReader inbox, VideoStore videos, ILogger<InboxJobStarter> logger)
{
    /// <returns>The job id, or null when the blob starts no job (refused, gone, empty, or neither an image nor a .json).</returns>
    public virtual async Task<string?> StartAsync(DurableTaskClient client, string container, string blobName, CancellationToken cancellationToken)
    {
        if (InboxNames.Problem(blobName) is { } refused)
        {
            LogRefused(blobName, refused);
            await videos.WriteRefusalAsync($"{container}/{blobName}", null, new Jobs.JobError("invalid_name", refused), cancellationToken);
            return null;
        }

        if (!InboxReader.IsImage(blobName) && !InboxReader.IsSidecar(blobName))
        {
            LogSkipped(blobName, "neither an image nor a .json request");
            return null;
        }

        ETag etag;
        try
        {
            var properties = (await storage.Blob(container, blobName).GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            if (properties.ContentLength == 0)
            {
                LogSkipped(blobName, "empty");
                await videos.WriteRefusalAsync($"{container}/{blobName}", InboxReader.OutputBlobFor(blobName),
                    new Jobs.JobError("empty_file", "the file is empty; upload it again with its content"), cancellationToken);
                return null;
            }

            etag = properties.ETag;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            LogSkipped(blobName, "deleted before it could be read");
            return null;
        }

        if (InboxReader.IsSidecar(blobName))
        {
            await inbox.MarkSidecarFolderAsync(container, blobName, cancellationToken); // images here wait the grace for theirs
        }

        var id = JobIds.ForBlob(container, blobName, etag.ToString());
        var mode = InboxReader.IsImage(blobName) ? VideoMode.ImageToVideo : VideoMode.TextToVideo; // settled by the sidecar later
        var job = new VideoJob(id, mode, null, new JobSource(JobSourceKind.Inbox, container, blobName, etag.ToString()),
            InboxReader.OutputBlobFor(blobName), scheduler.Timings, scheduler.Now);
        await scheduler.StartAsync(client, job, cancellationToken);
        return id;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbox blob {BlobName} starts no job: {Reason}")]
    private partial void LogSkipped(string blobName, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbox blob {BlobName} refused: {Reason}; see videos/_refused/")]
    private partial void LogRefused(string blobName, string reason);
}
