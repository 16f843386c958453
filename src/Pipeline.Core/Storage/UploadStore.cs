using Azure.Storage.Blobs.Models;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Storage;

/// <summary>One file stored for a request, or why it was refused.</summary>
public sealed record StoredUpload(BlobReference? Blob, long Bytes, string? Problem);

/// <summary>
/// Files sent with an API request: each is sniffed by content, capped by the seed's size rule while it streams, and
/// stored as <c>uploads/{job id}/{field}-{n}.{ext}</c>. The submit activity hands them to fal as short-lived read-only
/// SAS URLs, as it does inbox files.
/// </summary>
public class UploadStore(PipelineStorage storage)
{
    private const int HeadBytes = 16;

    public static string Prefix(string jobId) => jobId + "/";

    /// <param name="maxBytes">The cap for this file: the kind's, or what is left of a shared one (videos).</param>
    public virtual async Task<StoredUpload> SaveAsync(
        string jobId, string field, int index, UploadKind kind, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var head = new byte[HeadBytes];
        var headLength = await content.ReadAtLeastAsync(head, HeadBytes, throwOnEndOfStream: false, cancellationToken);
        if (headLength == 0)
        {
            return new StoredUpload(null, 0, "is empty");
        }

        head = head[..headLength];
        if (!kind.Matches(head))
        {
            return new StoredUpload(null, 0, $"must be {kind.Describe()} (its content is not)");
        }

        var (extension, contentType) = UploadKinds.Format(head);
        var name = $"{Prefix(jobId)}{field}-{index + 1}{extension}";
        var blob = storage.Uploads.GetBlobClient(name);
        try
        {
            await blob.UploadAsync(new CappedUploadStream(head, content, maxBytes), new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
                Metadata = new Dictionary<string, string> { ["job_id"] = jobId, ["field"] = field },
                TransferOptions = new Azure.Storage.StorageTransferOptions
                {
                    InitialTransferSize = 4 * 1024 * 1024,
                    MaximumTransferSize = 4 * 1024 * 1024,
                    MaximumConcurrency = 1,
                },
            }, cancellationToken);
        }
        catch (UploadTooLargeException e)
        {
            await blob.DeleteIfExistsAsync(cancellationToken: CancellationToken.None);
            return new StoredUpload(null, 0, $"is {e.Message}; the limit is {e.MaxBytes / (1024 * 1024)} MB");
        }

        var size = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ContentLength;
        return new StoredUpload(new BlobReference(PipelineStorage.UploadsContainerName, name), size, null);
    }

    /// <summary>Removes a refused request's files (best effort: a leftover is only storage).</summary>
    public virtual async Task DiscardAsync(string jobId, CancellationToken cancellationToken)
    {
        await foreach (var item in storage.Uploads.GetBlobsAsync(new GetBlobsOptions { Prefix = Prefix(jobId) }, cancellationToken))
        {
            await storage.Uploads.DeleteBlobIfExistsAsync(item.Name, cancellationToken: cancellationToken);
        }
    }

    /// <summary>Whether a reference names one of this job's own uploads (so a caller cannot name other blobs).</summary>
    public static bool BelongsTo(BlobReference reference, string jobId) =>
        reference.Container == PipelineStorage.UploadsContainerName && reference.Name.StartsWith(Prefix(jobId), StringComparison.Ordinal)
        && !reference.Name.Contains("..", StringComparison.Ordinal);
}
