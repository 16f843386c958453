using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Pipeline.Chaos;
using Pipeline.IntegrationTests.Infrastructure;

namespace Pipeline.IntegrationTests.Chaos;

/// <summary>
/// Azurite behind the chaos run's storage proxies, as the host sees it: path-style URLs (<c>/devstoreaccount1/…</c>) and
/// the SDKs' shared-key signatures still verify through the proxy, which forwards the client's own <c>Host</c>.
/// </summary>
public sealed class StorageThroughOutageProxyTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly List<OutageProxy> _proxies = [];
    private string _connection = "";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var connection = StorageConnection.Parse(azurite.ConnectionString);
        foreach (var service in new[] { StorageConnection.Blob, StorageConnection.Queue, StorageConnection.Table })
        {
            var proxy = await OutageProxy.StartAsync(connection.Endpoint(service),
                service == StorageConnection.Table ? UnavailableAnswer.StorageTable : UnavailableAnswer.StorageXml, Token);
            _proxies.Add(proxy);
            connection = connection.WithEndpointAt(service, proxy.Address);
        }

        _connection = connection.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }
    }

    [Fact]
    public async Task BlobQueueAndTable_ThroughTheProxies_WorkAsDirectly()
    {
        var name = AzuriteFixture.UniqueContainerName("proxied");
        var blobs = new BlobServiceClient(_connection);
        Assert.Equal(_proxies[0].Address.Port, blobs.Uri.Port);
        var container = blobs.GetBlobContainerClient(name);
        await container.CreateAsync(cancellationToken: Token);
        var video = new byte[9 * 1024 * 1024 + 7];
        Random.Shared.NextBytes(video);
        var blob = container.GetBlobClient("jobs/a b+c.mp4");
        await blob.UploadAsync(BinaryData.FromBytes(video), new Azure.Storage.Blobs.Models.BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { ["fal_request_id"] = "r-1" },
            // In blocks, as the pipeline stores large videos.
            TransferOptions = new Azure.Storage.StorageTransferOptions
            {
                MaximumTransferSize = 4 * 1024 * 1024,
                InitialTransferSize = 4 * 1024 * 1024,
            },
        }, Token);
        var listed = new List<string>();
        await foreach (var item in container.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = "jobs/" }, Token))
        {
            listed.Add(item.Name);
        }

        var queue = new QueueServiceClient(_connection).GetQueueClient(name);
        await queue.CreateAsync(cancellationToken: Token);
        await queue.SendMessageAsync("work item", Token);
        var message = (await queue.ReceiveMessageAsync(cancellationToken: Token)).Value;
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, Token);

        var table = new TableServiceClient(_connection).GetTableClient("proxied" + Guid.NewGuid().ToString("N")[..12]);
        await table.CreateIfNotExistsAsync(Token);
        await table.UpsertEntityAsync(new TableEntity("hub", "job-1") { ["Stage"] = "storing" }, cancellationToken: Token);
        var entity = (await table.GetEntityAsync<TableEntity>("hub", "job-1", cancellationToken: Token)).Value;

        Assert.Equal(video, (await blob.DownloadContentAsync(Token)).Value.Content.ToArray());
        Assert.Equal("r-1", (await blob.GetPropertiesAsync(cancellationToken: Token)).Value.Metadata["fal_request_id"]);
        Assert.Equal(["jobs/a b+c.mp4"], listed);
        Assert.Equal("work item", message.MessageText);
        Assert.Equal("storing", entity.GetString("Stage"));
    }
}
