using System.Text.Json.Serialization;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Jobs;

/// <summary>The stages a job goes through, as shown in its custom status.</summary>
public static class JobStages
{
    public const string Preparing = "preparing";
    public const string Submitting = "submitting";

    /// <summary>A submit's answer was lost: waiting for fal's webhook before deciding whether to submit again.</summary>
    public const string ConfirmingSubmit = "confirming_submit";

    /// <summary>fal (or storage) could not be reached and nothing was sent: the job tries again, patiently.</summary>
    public const string WaitingForFal = "waiting_for_fal";

    /// <summary>The concurrency cap is reached: waiting for a job at fal to finish.</summary>
    public const string WaitingForSlot = "waiting_for_slot";
    public const string Queued = "queued_at_fal";
    public const string Running = "running_at_fal";
    public const string Storing = "storing_video";
    public const string Cancelling = "cancelling";
    public const string Finishing = "finishing";
}

/// <summary>
/// The orchestration's custom status: stage, mode, fal's request id (and every request the job caused so far) and queue
/// position. Small and secret-free.
/// </summary>
public sealed record JobProgress(
    [property: JsonPropertyName("stage")] string Stage,
    [property: JsonPropertyName("mode")] VideoMode Mode,
    [property: JsonPropertyName("fal_request_id")] string? FalRequestId = null,
    [property: JsonPropertyName("queue_position")] int? QueuePosition = null,
    [property: JsonPropertyName("unconfirmed_submit")] bool? UnconfirmedSubmit = null,
    [property: JsonPropertyName("fal_request_ids")] IReadOnlyList<string>? FalRequestIds = null,
    [property: JsonPropertyName("retrying")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    JobRetry? Retrying = null,
    [property: JsonPropertyName("prompt")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    string? Prompt = null);

/// <summary>A step the job tries again after a dependency failed it: which, how often so far, why, and when next.</summary>
public sealed record JobRetry(
    [property: JsonPropertyName("step")] string Step,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("last_error")] string LastError,
    [property: JsonPropertyName("next_attempt_at")] DateTimeOffset NextAttemptAt);
