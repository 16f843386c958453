using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Activities;

public sealed record StoreVideoInput(string JobId, VideoMode Mode, JobSource Source, string FalRequestId, long? Seed, string VideoUrl, string? ContentType, string OutputBlob, long? FileSize = null);

/// <summary>Streams fal's video into the videos container (idempotent: a blob already stored for this request is kept).</summary>
public sealed class StoreVideoActivity(VideoStore videos) : IPipelineActivity<StoreVideoInput, StoredVideo>
{
    public const string Name = "StoreVideo";

    public Task<StoredVideo> RunAsync(StoreVideoInput input, CancellationToken cancellationToken) =>
        videos.StoreAsync(input, cancellationToken);
}
