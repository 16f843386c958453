using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Api;
using Pipeline.Core.Storage;

namespace Pipeline.LocalHost.Folders;

/// <summary>
/// The blob trigger of one machine: Azurite raises no Event Grid events, so the inbox container is listed every scan
/// interval and each new blob version goes to the same <see cref="InboxJobStarter"/> the Functions trigger calls.
/// Starting is idempotent per blob version, so a restart that sees every blob again starts nothing twice.
/// </summary>
public sealed partial class InboxContainerTrigger(PipelineStorage storage, InboxJobStarter starter, DurableTaskClient client,
    IOptions<LocalHostOptions> options, ILogger<InboxContainerTrigger> logger) : BackgroundService
{
    private readonly HashSet<(string Name, string ETag)> _seen = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ScanInterval);
        do
        {
            try
            {
                await foreach (var blob in storage.Inbox.GetBlobsAsync(cancellationToken: stoppingToken))
                {
                    var key = (blob.Name, blob.Properties.ETag?.ToString() ?? "");
                    if (_seen.Add(key))
                    {
                        await starter.StartAsync(client, PipelineStorage.InboxContainerName, blob.Name, stoppingToken);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogScanFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scanning the inbox container failed; trying again")]
    private partial void LogScanFailed(Exception exception);
}
