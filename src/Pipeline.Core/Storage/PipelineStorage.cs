using Azure.Storage.Blobs;

namespace Pipeline.Core.Storage;

/// <summary>
/// The app's blob storage: the inbox people drop files into, the videos container results go to, the files uploaded
/// with API requests, and the index of jobs the listing pages through.
/// </summary>
public class PipelineStorage(BlobServiceClient service)
{
    /// <summary>Fixed names: the Functions blob trigger is bound to the inbox at compile time.</summary>
    public const string InboxContainerName = "inbox";

    public const string VideosContainerName = "videos";

    public const string UploadsContainerName = "uploads";

    public const string JobsContainerName = "jobs";

    /// <summary>The connection setting name (a connection string, or <c>PipelineStorage__serviceUri</c> with managed identity).</summary>
    public const string ConnectionName = "PipelineStorage";

    public BlobServiceClient Service { get; } = service;

    public BlobContainerClient Inbox => Service.GetBlobContainerClient(InboxContainerName);

    public BlobContainerClient Videos => Service.GetBlobContainerClient(VideosContainerName);

    public BlobContainerClient Uploads => Service.GetBlobContainerClient(UploadsContainerName);

    public BlobContainerClient Jobs => Service.GetBlobContainerClient(JobsContainerName);

    public BlobClient Blob(string container, string name) => Service.GetBlobContainerClient(container).GetBlobClient(name);

    public async Task EnsureContainersAsync(CancellationToken cancellationToken)
    {
        await Inbox.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Videos.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Uploads.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Jobs.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }
}
