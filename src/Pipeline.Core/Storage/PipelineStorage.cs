using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using Pipeline.Core.Options;

namespace Pipeline.Core.Storage;

/// <summary>The app's blob storage: the inbox people drop files into and the videos container results go to.</summary>
public class PipelineStorage(BlobServiceClient service, IOptions<PipelineOptions> options)
{
    /// <summary>The connection setting name (a connection string, or <c>PipelineStorage__serviceUri</c> with managed identity).</summary>
    public const string ConnectionName = "PipelineStorage";

    public BlobServiceClient Service { get; } = service;

    public BlobContainerClient Inbox => Service.GetBlobContainerClient(options.Value.InboxContainer);

    public BlobContainerClient Videos => Service.GetBlobContainerClient(options.Value.VideosContainer);

    public BlobClient Blob(string container, string name) => Service.GetBlobContainerClient(container).GetBlobClient(name);

    public async Task EnsureContainersAsync(CancellationToken cancellationToken)
    {
        await Inbox.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Videos.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }
}
