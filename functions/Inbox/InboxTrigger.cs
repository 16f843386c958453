using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Api;
using Pipeline.Core.Storage;
using Pipeline.Core.Inbox;

namespace Pipeline.Functions.Inbox;

/// <summary>
/// A file dropped into the <c>inbox</c> container starts a job. Flex Consumption delivers blob triggers through Event
/// Grid only, and refuses any other source at start (even on a disabled function); for <c>func start</c> against
/// Azurite, which raises no Event Grid events, Debug builds add <see cref="InboxPollingTrigger"/>.
/// </summary>
public sealed class InboxTrigger(InboxJobStarter starter)
{
    [Function(nameof(InboxTrigger))]
    public Task RunAsync(
        [BlobTrigger(
            PipelineStorage.InboxContainerName + "/{name}",
            Source = BlobTriggerSource.EventGrid,
            Connection = PipelineStorage.ConnectionName)]
        BlobClient blob,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        starter.StartAsync(client, blob.BlobContainerName, blob.Name, cancellationToken);
}
