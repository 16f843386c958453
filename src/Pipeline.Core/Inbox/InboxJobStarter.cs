using Azure;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Batches;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;
using Pipeline.Core.Api;

namespace Pipeline.Core.Inbox;

/// <summary>
/// What the inbox trigger does with a new blob: start one job per blob version and variant (the id hashes container,
/// name and ETag, so a redelivered event is a no-op), in the batch of its folder. The orchestration reads the blob and
/// its sidecar itself; the number of variants is read now, from the drop's sidecar or metadata or its folder presets.
/// A manifest goes to <see cref="ManifestJobStarter"/>; a folder preset starts nothing. A name the pipeline refuses
/// (<see cref="InboxNames"/>) is never used to reach storage: it is logged and leaves a marker in
/// <c>videos/_refused/</c>; an empty image or request leaves a marker where its video would go.
/// </summary>
public partial class InboxJobStarter(
    PipelineStorage storage,
    JobScheduler scheduler,
    InboxReader inbox,
    VideoStore videos,
    ManifestJobStarter manifests,
    ILogger<InboxJobStarter> logger)
{
    /// <returns>
    /// The (first) job id, a manifest's batch id, or null when the blob starts no job (refused, gone, empty, a preset,
    /// or neither an image nor a request).
    /// </returns>
    public virtual async Task<string?> StartAsync(
        DurableTaskClient client, string container, string blobName, CancellationToken cancellationToken)
    {
        if (InboxNames.Problem(blobName) is { } refused)
        {
            LogRefused(blobName, refused);
            await videos.WriteRefusalAsync($"{container}/{blobName}", null, new Jobs.JobError("invalid_name", refused), cancellationToken);
            return null;
        }

        if (InboxPresets.IsPreset(blobName))
        {
            LogSkipped(blobName, "a folder preset: it gives defaults to the drops that come after it");
            return null;
        }

        if (!InboxReader.IsImage(blobName) && !InboxReader.IsSidecar(blobName) && !ManifestReader.IsManifest(blobName))
        {
            LogSkipped(blobName, "neither an image, a .json request nor a .jsonl or .csv manifest");
            return null;
        }

        ETag etag;
        DateTimeOffset droppedAt;
        IDictionary<string, string> metadata;
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
            droppedAt = properties.LastModified;
            metadata = properties.Metadata;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            LogSkipped(blobName, "deleted before it could be read");
            return null;
        }

        if (ManifestReader.IsManifest(blobName))
        {
            return await manifests.StartAsync(client, container, blobName, etag, droppedAt, cancellationToken);
        }

        if (InboxReader.IsSidecar(blobName))
        {
            await inbox.MarkSidecarFolderAsync(container, blobName, cancellationToken); // images here wait the grace for theirs
            await StartLateVariantsAsync(client, container, blobName, cancellationToken);
        }

        var intent = await inbox.IntentOfAsync(container, blobName, metadata, cancellationToken);
        return await StartDropAsync(client, container, blobName, etag.ToString(), intent, firstVariant: 1, cancellationToken);
    }

    /// <summary>
    /// Starts variants <paramref name="firstVariant"/>…<paramref name="variants"/> of a drop; returns the first job's
    /// id.
    /// </summary>
    private async Task<string> StartDropAsync(
        DurableTaskClient client,
        string container,
        string blobName,
        string etag,
        DropIntent intent,
        int firstVariant,
        CancellationToken cancellationToken)
    {
        var variants = intent.Variants;
        var first = JobIds.ForBlob(container, blobName, etag);
        var mode = InboxReader.IsImage(blobName) ? VideoMode.ImageToVideo : VideoMode.TextToVideo; // settled by the sidecar later
        var batch = BatchIds.ForFolder(container, InboxReader.FolderOf(blobName));
        for (var index = firstVariant; index <= variants; index++)
        {
            // The name is provisional: the submit step claims the drop's own (Inbox.OutputNames) once it knows the drop is a job.
            var job = new VideoJob(
                Id: JobIds.ForVariant(first, index),
                Mode: mode,
                Request: null,
                Source: new JobSource(JobSourceKind.Inbox, container, blobName, etag),
                OutputBlob: Variants.OutputName(InboxReader.OutputBlobFor(blobName), index, variants),
                Timings: scheduler.Timings,
                CreatedAt: scheduler.Now)
            {
                Batch = batch,
                Variant = variants > 1 ? new JobVariant(index, variants) : null,
                Callback = intent.Callback,
            };
            await scheduler.StartAsync(client, job, cancellationToken);
        }

        return first;
    }

    /// <summary>
    /// A sidecar that lands after its image and asks for more variants than the image's drop knew of starts the rest;
    /// the image's first job keeps its name (ids are per variant, so nothing starts twice).
    /// </summary>
    private async Task StartLateVariantsAsync(
        DurableTaskClient client, string container, string sidecarName, CancellationToken cancellationToken)
    {
        if (await inbox.ImageOfAsync(container, sidecarName, cancellationToken) is not { } image)
        {
            return;
        }

        var intent = await inbox.IntentOfAsync(container, image.Name, image.Metadata, cancellationToken);
        if (intent.Variants > 1)
        {
            await StartDropAsync(client, container, image.Name, image.ETag, intent, firstVariant: 2, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbox blob {BlobName} starts no job: {Reason}")]
    private partial void LogSkipped(string blobName, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbox blob {BlobName} refused: {Reason}; see videos/_refused/")]
    private partial void LogRefused(string blobName, string reason);
}
