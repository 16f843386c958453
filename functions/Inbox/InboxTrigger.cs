using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Api;
using Pipeline.Core.Storage;

namespace Pipeline.Functions.Inbox;

/// <summary>
/// A file dropped into the <c>inbox</c> container starts a job. Flex Consumption delivers blob triggers through Event
/// Grid only (<see cref="RunAsync"/>); <see cref="PollingAsync"/> is the same trigger with the classic polling source for
/// local runs against Azurite, which raises no Event Grid events. Exactly one of them is enabled, by the app settings
/// <c>AzureWebJobs.InboxTrigger.Disabled</c> / <c>AzureWebJobs.InboxPollingTrigger.Disabled</c>.
/// </summary>
public sealed class InboxTrigger(InboxJobStarter starter)
{
    [Function(nameof(InboxTrigger))]
    public Task RunAsync(
        [BlobTrigger(PipelineStorage.InboxContainerName + "/{name}", Source = BlobTriggerSource.EventGrid, Connection = PipelineStorage.ConnectionName)] BlobClient blob,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        starter.StartAsync(client, blob.BlobContainerName, blob.Name, cancellationToken);

    [Function("InboxPollingTrigger")]
    public Task PollingAsync(
        [BlobTrigger(PipelineStorage.InboxContainerName + "/{name}", Source = BlobTriggerSource.LogsAndContainerScan, Connection = PipelineStorage.ConnectionName)] BlobClient blob,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        starter.StartAsync(client, blob.BlobContainerName, blob.Name, cancellationToken);
}
