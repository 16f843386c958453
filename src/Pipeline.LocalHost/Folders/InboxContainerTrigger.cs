using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Api;
using Pipeline.Core.Storage;
using Pipeline.Core.Inbox;

namespace Pipeline.LocalHost.Folders;

/// <summary>
/// The blob trigger of one machine: Azurite raises no Event Grid events, so the inbox container is listed every scan
/// interval and each new blob version goes to the same <see cref="InboxJobStarter"/> the Functions trigger calls.
/// Starting is idempotent per blob version, so a restart that sees every blob again starts nothing twice; a blob that
/// cannot be started is tried again at the next scan and never holds up the others.
/// </summary>
public sealed partial class InboxContainerTrigger(PipelineStorage storage, InboxJobStarter starter, DurableTaskClient client,
    IOptions<LocalHostOptions> options, ILogger<InboxContainerTrigger> logger) : Housekeeping.ResilientLoop(logger)
{
    private readonly HashSet<(string Name, string ETag)> _seen = [];
    private readonly HashSet<(string Name, string ETag)> _failed = [];

    protected override string What => "Scanning the inbox container";

    protected override TimeSpan Interval => options.Value.ScanInterval;

    protected override async Task RunOnceAsync(CancellationToken stoppingToken)
    {
        await foreach (var blob in storage.Inbox.GetBlobsAsync(cancellationToken: stoppingToken))
        {
            var key = (blob.Name, blob.Properties.ETag?.ToString() ?? "");
            if (_seen.Contains(key))
            {
                continue;
            }

            try
            {
                await starter.StartAsync(client, PipelineStorage.InboxContainerName, blob.Name, stoppingToken);
                _seen.Add(key);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (_failed.Add(key))
                {
                    LogStartFailed(e, blob.Name);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "inbox/{Name} could not be started; trying again at every scan")]
    private partial void LogStartFailed(Exception exception, string name);
}
