using System.Text.Json.Serialization;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Api;

/// <summary>What <c>GET /api/videos/{id}</c> answers. Never carries the Durable management URLs or their key.</summary>
public sealed record VideoJobView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("mode")] VideoMode Mode,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("stage")] string? Stage,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("prompt")] string? Prompt,
    [property: JsonPropertyName("fal_request_id")] string? FalRequestId,
    [property: JsonPropertyName("queue_position")] int? QueuePosition,
    [property: JsonPropertyName("video")] StoredVideo? Video,
    [property: JsonPropertyName("seed")] long? Seed,
    [property: JsonPropertyName("error")] JobError? Error,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTimeOffset UpdatedAt,
    [property: JsonPropertyName("end_user_id")] string? EndUserId = null,
    [property: JsonPropertyName("correlation")] IReadOnlyDictionary<string, string>? Correlation = null,
    [property: JsonPropertyName("video_seconds")] int? VideoSeconds = null,
    [property: JsonPropertyName("estimated_cost_usd")] decimal? EstimatedCostUsd = null,
    [property: JsonPropertyName("fal_request_ids")] IReadOnlyList<string>? FalRequestIds = null,
    [property: JsonPropertyName("batch")] Jobs.JobBatch? Batch = null,
    [property: JsonPropertyName("variant")] JobVariant? Variant = null,
    [property: JsonPropertyName("callback")] Callbacks.CallbackView? Callback = null,
    [property: JsonPropertyName("retrying")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JobRetry? Retrying = null,
    [property: JsonPropertyName("undelivered_events")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<Events.UndeliveredEvent>? UndeliveredEvents = null);

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
