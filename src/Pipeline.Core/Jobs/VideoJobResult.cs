using System.Text.Json.Serialization;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Jobs;

[JsonConverter(typeof(JsonStringEnumConverter<JobOutcome>))]
public enum JobOutcome
{
    [JsonStringEnumMemberName("succeeded")]
    Succeeded,

    [JsonStringEnumMemberName("failed")]
    Failed,

    [JsonStringEnumMemberName("cancelled")]
    Cancelled,

    /// <summary>A sidecar <c>.json</c> whose image arrived too: the image's own job uses it, this one ends quietly.</summary>
    [JsonStringEnumMemberName("superseded")]
    Superseded,
}

/// <summary>
/// Why a job failed: a stable code (e.g. <c>invalid_request</c>, <c>fal_error</c>, <c>deadline_exceeded</c>) and a
/// message.
/// </summary>
public sealed record JobError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message);

/// <summary>The stored video.</summary>
public sealed record StoredVideo(
    [property: JsonPropertyName("blob")] string Blob,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("content_type")] string ContentType,
    [property: JsonPropertyName("size_bytes")] long SizeBytes);

/// <summary>
/// The orchestration output: the job's one terminal outcome (also kept by the reconciler for a job it settled). What
/// ended, how and since when it was at fal are positional; when fal finished and when the job did are required; what
/// later versions added is optional (absent from the outputs of jobs that ended before).
/// </summary>
public sealed record VideoJobResult(
    string Id,
    VideoMode Mode,
    JobOutcome Outcome,
    string? FalRequestId,
    StoredVideo? Video,
    long? Seed,
    JobError? Error,
    DateTimeOffset? SubmittedAt)
{
    public required DateTimeOffset? FalCompletedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public IReadOnlyList<string>? FalRequestIds { get; init; }

    public JobCost? Cost { get; init; }

    public string? EndUserId { get; init; }

    public IReadOnlyDictionary<string, string>? Correlation { get; init; }

    public string? Prompt { get; init; }
}
