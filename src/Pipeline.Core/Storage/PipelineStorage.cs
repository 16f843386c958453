using Azure.Storage.Blobs;

namespace Pipeline.Core.Storage;

/// <summary>The app's blob storage: the inbox people drop files into and the videos container results go to.</summary>
public class PipelineStorage(BlobServiceClient service)
{
    /// <summary>Fixed names: the Functions blob trigger is bound to the inbox at compile time.</summary>
    public const string InboxContainerName = "inbox";

    public const string VideosContainerName = "videos";

    /// <summary>The connection setting name (a connection string, or <c>PipelineStorage__serviceUri</c> with managed identity).</summary>
    public const string ConnectionName = "PipelineStorage";

    public BlobServiceClient Service { get; } = service;

    public BlobContainerClient Inbox => Service.GetBlobContainerClient(InboxContainerName);

    public BlobContainerClient Videos => Service.GetBlobContainerClient(VideosContainerName);

    public BlobClient Blob(string container, string name) => Service.GetBlobContainerClient(container).GetBlobClient(name);

    public async Task EnsureContainersAsync(CancellationToken cancellationToken)
    {
        await Inbox.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Videos.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }
}
