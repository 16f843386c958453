using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Api;
using Pipeline.Core.Storage;
using Pipeline.Core.Inbox;

namespace Pipeline.Functions.Inbox;

/// <summary>
/// The inbox trigger with the classic polling source, for <c>func start</c> against Azurite only. Compiled into Debug
/// builds alone (see the project file): the published (Release) app must not hold it, because the Functions host on
/// Flex Consumption rejects every blob trigger whose source is not Event Grid, disabled or not.
/// </summary>
public sealed class InboxPollingTrigger(InboxJobStarter starter)
{
    [Function(nameof(InboxPollingTrigger))]
    public Task RunAsync(
        [BlobTrigger(
            PipelineStorage.InboxContainerName + "/{name}",
            Source = BlobTriggerSource.LogsAndContainerScan,
            Connection = PipelineStorage.ConnectionName)]
        BlobClient blob,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        starter.StartAsync(client, blob.BlobContainerName, blob.Name, cancellationToken);
}
