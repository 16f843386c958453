using Pipeline.Core.Activities;
using Pipeline.Core.Jobs;
using Pipeline.Core.Storage;

namespace Pipeline.Bench.Baseline;

/// <summary>Before #20's cuts the store read the video's properties back after the upload: one more read per video.</summary>
public sealed class BaselineVideoStore : VideoStore
{
    private readonly PipelineStorage _storage;

    public BaselineVideoStore(
        PipelineStorage storage, IHttpClientFactory httpClientFactory, MediaDownloadPolicy downloads, TimeProvider time,
        ILogger<VideoStore> logger)
        : base(storage, httpClientFactory, downloads, time, logger) => _storage = storage;

    public override async Task<StoredVideo> StoreAsync(VideoToStore input, CancellationToken cancellationToken)
    {
        var stored = await base.StoreAsync(input, cancellationToken);
        if (BeforeCuts.On)
        {
            await _storage.Videos.GetBlobClient(input.OutputBlob).GetPropertiesAsync(cancellationToken: cancellationToken);
        }

        return stored;
    }
}
