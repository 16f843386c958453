using System.ComponentModel;
using System.Text.Json.Serialization;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Events;

/// <summary>The CloudEvent types the pipeline publishes.</summary>
public static class JobEventTypes
{
    public const string Submitted = "Pipeline.VideoJob.Submitted";
    public const string Succeeded = "Pipeline.VideoJob.Succeeded";
    public const string Failed = "Pipeline.VideoJob.Failed";
    public const string Cancelled = "Pipeline.VideoJob.Cancelled";
}

/// <summary>When things happened to a job (UTC; null where it did not happen).</summary>
public sealed record JobTimeline(
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("submitted_at")] DateTimeOffset? SubmittedAt,
    [property: JsonPropertyName("fal_completed_at")] DateTimeOffset? FalCompletedAt,
    [property: JsonPropertyName("finished_at")] DateTimeOffset? FinishedAt);

/// <summary>
/// The <c>data</c> of every job event: what happened to which job (positional), then who it was for and what it cost,
/// and the batch and variant it belongs to (left out when it belongs to none).
/// </summary>
public sealed record JobEventData(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("mode")] VideoMode Mode,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("fal_request_id")] string? FalRequestId,
    [property: JsonPropertyName("video")] StoredVideo? Video,
    [property: JsonPropertyName("seed")] long? Seed,
    [property: JsonPropertyName("error")] JobError? Error,
    [property: JsonPropertyName("timings")] JobTimeline Timings)
{
    [JsonPropertyName("end_user_id")]
    [DefaultValue(null)]
    public string? EndUserId { get; init; }

    [JsonPropertyName("correlation")]
    [DefaultValue(null)]
    public IReadOnlyDictionary<string, string>? Correlation { get; init; }

    [JsonPropertyName("video_seconds")]
    [DefaultValue(null)]
    public int? VideoSeconds { get; init; }

    [JsonPropertyName("estimated_cost_usd")]
    [DefaultValue(null)]
    public decimal? EstimatedCostUsd { get; init; }

    [JsonPropertyName("batch")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [DefaultValue(null)]
    public JobBatch? Batch { get; init; }

    [JsonPropertyName("variant")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [DefaultValue(null)]
    public JobVariant? Variant { get; init; }
}

/// <summary>
/// One event as the orchestration decides it: its type, subject, time and data. The CloudEvent id is derived from the
/// job and the type, so a retried publish is recognisable as the same event by subscribers.
/// </summary>
public sealed record JobEvent(string Type, string Subject, DateTimeOffset Time, JobEventData Data) : Telemetry.IDescribesJob
{
    (Requests.VideoMode? Mode, string? EndUserId, string? FalRequestId) Telemetry.IDescribesJob.Describe() =>
        (Data.Mode, Data.EndUserId, Data.FalRequestId);

    /// <summary>The output blob for an inbox job (<c>videos/trips/beach.mp4</c>), <c>videos/{id}</c> otherwise.</summary>
    public static string SubjectOf(VideoJob job) =>
        job.Source.Kind == JobSourceKind.Inbox ? $"videos/{job.OutputBlob}" : $"videos/{job.Id}";

    public string CloudEventId => $"{Data.Id}.{Type[(Type.LastIndexOf('.') + 1)..].ToLowerInvariant()}";
}
