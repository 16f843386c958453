using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Activities;

/// <param name="Announcement">The "succeeded" event to publish once the video is stored (the activity fills in the video and the time).</param>
public sealed record StoreVideoInput(
    string JobId, VideoMode Mode, JobSource Source, string FalRequestId, long? Seed, string VideoUrl, string? ContentType, string OutputBlob, long? FileSize = null,
    JobEvent? Announcement = null);

/// <param name="Announced">The "succeeded" event was published.</param>
public sealed record StoreVideoOutcome(StoredVideo Video, DateTimeOffset StoredAt, bool Announced);

/// <summary>
/// Streams fal's video into the videos container (idempotent: a blob already stored for this request is kept), then
/// announces the job's success: one activity for both saves the job a durable turn after fal finishes.
/// </summary>
public sealed class StoreVideoActivity(VideoStore videos, JobAnnouncer announcer, TimeProvider time) : IPipelineActivity<StoreVideoInput, StoreVideoOutcome>
{
    public const string Name = "StoreVideo";

    public async Task<StoreVideoOutcome> RunAsync(StoreVideoInput input, CancellationToken cancellationToken)
    {
        var video = await videos.StoreAsync(input, cancellationToken);
        var at = time.GetUtcNow();
        var announced = input.Announcement is { } planned && await announcer.TryPublishAsync(planned with
        {
            Time = at,
            Data = planned.Data with { Video = video, Timings = planned.Data.Timings with { FinishedAt = at } },
        }, cancellationToken);
        return new StoreVideoOutcome(video, at, announced);
    }
}
