using Pipeline.Core.Costs;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;
using Pipeline.Core.Telemetry;

namespace Pipeline.Core.Activities;

/// <summary>
/// The job's video at fal and where it goes (positional), then fal's size of the file, the job's attribution, and what
/// follows the copy: the event to announce and the batch entry to record. Version 1 had only the positional fields.
/// </summary>
public sealed record StoreVideoInput(
    string JobId,
    VideoMode Mode,
    JobSource Source,
    string FalRequestId,
    long? Seed,
    string VideoUrl,
    string? ContentType,
    string OutputBlob)
    : IDescribesJob
{
    /// <summary>fal's <c>file_size</c>, checked against the download.</summary>
    public long? FileSize { get; init; }

    /// <summary>The "succeeded" event to publish once the video is stored (the activity fills in the video and the time).</summary>
    public JobEvent? Announcement { get; init; }

    /// <summary>Written to the video's metadata with the correlation map, for attribution.</summary>
    public string? EndUserId { get; init; }

    public IReadOnlyDictionary<string, string>? Correlation { get; init; }

    /// <summary>The job's creation: its spend counts on that UTC day when its slot is given back.</summary>
    public DateTimeOffset? JobCreatedAt { get; init; }

    /// <summary>The job's end, for its batch to record once the video is stored.</summary>
    public Batches.BatchJobEnd? BatchEnd { get; init; }

    /// <summary>An earlier event of the job waits in the outbox: "succeeded" waits behind it.</summary>
    public bool QueueEventBehind { get; init; }

    (VideoMode? Mode, string? EndUserId, string? FalRequestId) IDescribesJob.Describe() => (Mode, EndUserId, FalRequestId);

    /// <summary>What the videos container takes of it.</summary>
    public VideoToStore ToStore() => new(JobId, OutputBlob, VideoUrl, ContentType, FileSize, FalRequestId)
    {
        Mode = Mode, Source = Source, Seed = Seed, EndUserId = EndUserId, Correlation = Correlation,
    };
}

/// <param name="Announced">The "succeeded" event was published, or kept in the outbox for later delivery.</param>
/// <param name="PurgedAtFal">The request's payloads and output files were deleted at fal.</param>
/// <param name="WakeJob">A job waiting for the slot this one gave back: the orchestration wakes it.</param>
/// <param name="RecordedInBatch">
/// The job's end was recorded in its batch (the input's <c>BatchEnd</c>): no step of its own is needed.
/// </param>
public sealed record StoreVideoOutcome(
    StoredVideo Video,
    DateTimeOffset StoredAt,
    bool Announced,
    bool PurgedAtFal = false,
    string? WakeJob = null,
    bool RecordedInBatch = false);

/// <summary>
/// Streams fal's video into the videos container (idempotent: a blob already stored for this request is kept), then,
/// with the video safe: settles the job (its concurrency slot back, its spend kept), deletes the request's payloads at
/// fal (with an admin key), announces the job's success and records it in its batch. One activity for all of it saves
/// the job durable turns after fal finishes (each an execution billed and a round of task hub transactions); the steps
/// after the copy are best effort (fal's retention deletes the outputs anyway; an unrecorded batch end is left to the
/// orchestration's own step).
/// </summary>
public sealed partial class StoreVideoActivity(
    VideoStore videos, JobAdmission admission, FalQueueClient fal, JobAnnouncer announcer, Batches.BatchLedger batches, TimeProvider time,
    ILogger<StoreVideoActivity> logger)
    : IPipelineActivity<StoreVideoInput, StoreVideoOutcome>
{
    public const string Name = "StoreVideo";

    public async Task<StoreVideoOutcome> RunAsync(StoreVideoInput input, CancellationToken cancellationToken)
    {
        var video = await videos.StoreAsync(input.ToStore(), cancellationToken);
        var at = time.GetUtcNow();
        var purged = false;
        string? wake = null;
        try
        {
            wake = await admission.SettleAsync(input.JobId, input.JobCreatedAt ?? at, reachedFal: true, cancellationToken);
            purged = await fal.DeletePayloadsAsync(input.FalRequestId, cancellationToken);
        }
        catch (Exception e) when (e is FalApiException or Azure.RequestFailedException)
        {
            LogAfterCopyFailed(input.JobId, e.Message);
        }

        var announced = input.Announcement is { } planned ? await announcer.TryAnnounceAsync(planned with
        {
            Time = at,
            Data = planned.Data with { Video = video, Timings = planned.Data.Timings with { FinishedAt = at } },
        }, input.QueueEventBehind, cancellationToken) : null;
        return new StoreVideoOutcome(
            video, at, announced is not null, purged, wake, await TryRecordInBatchAsync(input, video, cancellationToken));
    }

    private async Task<bool> TryRecordInBatchAsync(StoreVideoInput input, StoredVideo video, CancellationToken cancellationToken)
    {
        if (input.BatchEnd is not { } end)
        {
            return false;
        }

        try
        {
            await batches.RecordEndAsync(end with { Video = video.Blob }, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The video is stored: nothing about the batch may fail the step (the orchestration records the end itself).
            LogBatchEndLeft(input.JobId, e.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Job {JobId}: video stored; its batch entry is left to the next step ({Reason})")]
    private partial void LogBatchEndLeft(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Job {JobId}: video stored, but giving its slot back or deleting its payloads at fal failed ({Reason})")]
    private partial void LogAfterCopyFailed(string jobId, string reason);
}
