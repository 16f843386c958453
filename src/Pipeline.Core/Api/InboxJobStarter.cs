using Azure;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Api;

/// <summary>
/// What the inbox trigger does with a new blob: start one job per blob version (the id hashes container, name and
/// ETag, so a redelivered event is a no-op). The orchestration reads the blob and its sidecar itself.
/// </summary>
public partial class InboxJobStarter(PipelineStorage storage, JobScheduler scheduler, InboxReader inbox, ILogger<InboxJobStarter> logger)
{
    /// <returns>The job id, or null when the blob starts no job (gone, empty, or neither an image nor a .json).</returns>
    public virtual async Task<string?> StartAsync(DurableTaskClient client, string container, string blobName, CancellationToken cancellationToken)
    {
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
}
