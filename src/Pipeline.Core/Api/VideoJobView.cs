using System.ComponentModel;
using System.Text.Json.Serialization;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Api;

/// <summary>
/// What <c>GET /api/videos/{id}</c> answers. Never carries the Durable management URLs or their key. The job and where
/// it stands at fal are positional; what it made, when, and then who it is for, what it costs, its batch, variant and
/// callback follow as properties (in this order on the wire); <c>retrying</c> and <c>undelivered_events</c> are left
/// out when null.
/// </summary>
public sealed record VideoJobView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("mode")] VideoMode Mode,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("stage")] string? Stage,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("prompt")] string? Prompt,
    [property: JsonPropertyName("fal_request_id")] string? FalRequestId,
    [property: JsonPropertyName("queue_position")] int? QueuePosition)
{
    [JsonPropertyName("video")]
    public required StoredVideo? Video { get; init; }

    [JsonPropertyName("seed")]
    public required long? Seed { get; init; }

    [JsonPropertyName("error")]
    public required JobError? Error { get; init; }

    [JsonPropertyName("created_at")]
    public required DateTimeOffset CreatedAt { get; init; }

    [JsonPropertyName("updated_at")]
    public required DateTimeOffset UpdatedAt { get; init; }

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

    [JsonPropertyName("fal_request_ids")]
    [DefaultValue(null)]
    public IReadOnlyList<string>? FalRequestIds { get; init; }

    [JsonPropertyName("batch")]
    [DefaultValue(null)]
    public JobBatch? Batch { get; init; }

    [JsonPropertyName("variant")]
    [DefaultValue(null)]
    public JobVariant? Variant { get; init; }

    [JsonPropertyName("callback")]
    [DefaultValue(null)]
    public Callbacks.CallbackView? Callback { get; init; }

    [JsonPropertyName("retrying")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [DefaultValue(null)]
    public JobRetry? Retrying { get; init; }

    [JsonPropertyName("undelivered_events")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [DefaultValue(null)]
    public IReadOnlyList<Events.UndeliveredEvent>? UndeliveredEvents { get; init; }
}

/// <summary>What <c>GET /api/videos</c> answers: a page of jobs, newest first, and the cursor of the next page.</summary>
public sealed record VideoJobPage(
    [property: JsonPropertyName("items")] IReadOnlyList<VideoJobView> Items,
    [property: JsonPropertyName("next_cursor")] string? NextCursor);

/// <summary>The job states the API shows.</summary>
public static class VideoJobStatuses
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

/// <summary>The answer to a submit: the job's id and status URL, or every problem of the request.</summary>
/// <param name="Refusal">A spending cap this job would pass (the API answers 429 and starts nothing).</param>
/// <param name="Conflict">The idempotency key was used before for a different request (nothing was started).</param>
/// <param name="Jobs">With <c>variants</c> above 1: every job started, the first being <paramref name="Id"/>.</param>
/// <param name="NotStarted">Variants a spending cap stopped.</param>
public sealed record SubmitResult(
    string? Id, bool Created, ValidationErrors? Errors, Costs.BudgetRefusal? Refusal = null, bool Conflict = false,
    IReadOnlyList<SubmittedVariant>? Jobs = null, string? BatchId = null, VariantsNotStarted? NotStarted = null);

/// <summary>One job of a request's variants, as the 202 lists it.</summary>
public sealed record SubmittedVariant(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("status_url")] string StatusUrl,
    [property: JsonPropertyName("variant")] int Variant,
    [property: JsonPropertyName("seed")] long? Seed,
    [property: JsonIgnore] bool Created);

/// <summary>Variants <paramref name="From"/>…<paramref name="Of"/> were not started: a spending cap would have been passed.</summary>
public sealed record VariantsNotStarted(
    [property: JsonPropertyName("from")] int From,
    [property: JsonPropertyName("of")] int Of,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonPropertyName("code")] string Code = "budget_exceeded");

public enum CancelResult
{
    Accepted,
    NotFound,
    AlreadyFinished,
}
