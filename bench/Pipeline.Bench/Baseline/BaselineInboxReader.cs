using Microsoft.Extensions.Options;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Storage;
using Pipeline.Core.Inbox;

namespace Pipeline.Bench.Baseline;

/// <summary>
/// Before #20's cuts a drop's preparation read each inbox file it names twice (its properties, then its first bytes);
/// now once. The image of an image drop is such a file: one more read of it per job.
/// </summary>
public sealed class BaselineInboxReader : InboxReader
{
    private readonly PipelineStorage _storage;

    public BaselineInboxReader(
        PipelineStorage storage,
        InboxPresets presets,
        IOptions<PipelineOptions> options,
        IOptions<Pipeline.Core.Callbacks.CallbackOptions> callbacks,
        TimeProvider time,
        Pipeline.Core.Inbox.PendingManifests pending)
        : base(storage, presets, options, callbacks, time, pending) => _storage = storage;

    public override async Task<PreparedJob> PrepareAsync(
        JobSource source, DateTimeOffset createdAt, bool companionWaited, CancellationToken cancellationToken, JobVariant? variant = null)
    {
        var prepared = await base.PrepareAsync(source, createdAt, companionWaited, cancellationToken, variant);
        if (BeforeCuts.On && prepared is PreparedJob.Ready && IsImage(source.BlobName ?? ""))
        {
            await _storage.Blob(source.Container ?? PipelineStorage.InboxContainerName, source.BlobName!)
                .GetPropertiesAsync(cancellationToken: cancellationToken);
        }

        return prepared;
    }
}
