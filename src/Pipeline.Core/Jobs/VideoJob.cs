using System.Text.Json.Serialization;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Jobs;

/// <summary>Where a job came from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobSourceKind>))]
public enum JobSourceKind
{
    [JsonStringEnumMemberName("http")]
    Http,

    [JsonStringEnumMemberName("inbox")]
    Inbox,
}

/// <summary>The origin of a job: an HTTP request, or a blob version dropped into the inbox container.</summary>
public sealed record JobSource(JobSourceKind Kind, string? Container = null, string? BlobName = null, string? ETag = null)
{
    public static readonly JobSource Http = new(JobSourceKind.Http);

    /// <summary>"http", or the dropped blob as <c>inbox/trips/photo.jpg</c>.</summary>
    public override string ToString() => Kind == JobSourceKind.Http ? "http" : $"{Container}/{BlobName}";
}

/// <summary>Every interval a job's orchestration waits by; in its input so that the orchestrator stays deterministic.</summary>
/// <param name="UnconfirmedSubmitWait">
/// How long a submit whose answer was lost waits for fal's webhook before it is sent again (null: 10 min).
/// </param>
/// <param name="SlotRetry">How often a job waiting for a concurrency slot looks again (null: 10 s).</param>
/// <param name="FalUnavailableWait">
/// How long a job waits for fal (or storage) to come back when a submit certainly reached nothing (null: 1 h); that wait
/// does not count against <paramref name="Deadline"/>. Version 3 jobs.
/// </param>
/// <param name="FalRetention">How long fal keeps a finished request's output (null: 24 h): a paid video is copied until then.</param>
public sealed record JobTimings(
    TimeSpan WebhookWait,
    TimeSpan PollInterval,
    TimeSpan Deadline,
    TimeSpan SidecarGrace,
    TimeSpan? UnconfirmedSubmitWait = null,
    TimeSpan? SlotRetry = null,
    TimeSpan? FalUnavailableWait = null,
    TimeSpan? FalRetention = null);

/// <summary>
/// The orchestration input: what to make and where it goes (positional), then what travels with the job. Holds ids,
/// names and the request, never bytes nor secrets (history keeps it). An inbox job starts with <see cref="Request"/>
/// null: the orchestration reads the blob and its sidecar first.
/// </summary>
public sealed record VideoJob(
    string Id,
    VideoMode Mode,
    VideoRequest? Request,
    JobSource Source,
    string OutputBlob,
    JobTimings Timings,
    DateTimeOffset CreatedAt)
{
    public IReadOnlyDictionary<string, string>? Correlation { get; init; }

    /// <summary>Tells a repeat of the job's idempotency key that asks for something else.</summary>
    public string? RequestFingerprint { get; init; }

    /// <summary>
    /// The W3C trace context of the job's first span, so that steps fal starts (the webhook) join the job's trace.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>Groups the job with the other drops of its folder, the rows of its manifest or the variants of its request.</summary>
    public JobBatch? Batch { get; init; }

    /// <summary>Which variant of its request the job is.</summary>
    public JobVariant? Variant { get; init; }

    /// <summary>Where the job's events are also delivered.</summary>
    public Callbacks.JobCallback? Callback { get; init; }
}
