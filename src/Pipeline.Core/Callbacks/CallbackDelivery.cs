using System.Text.Json.Serialization;

namespace Pipeline.Core.Callbacks;

/// <summary>How one event's delivery to a job's receiver went: attempts so far, the last answer, and how it ended.</summary>
public sealed record CallbackDelivery(
    [property: JsonPropertyName("event_id")] string EventId,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("last_status")] int? LastStatus,
    [property: JsonPropertyName("last_error")] string? LastError,
    [property: JsonPropertyName("last_attempt_at")] DateTimeOffset? LastAttemptAt,
    [property: JsonPropertyName("delivered_at")] DateTimeOffset? DeliveredAt,
    [property: JsonPropertyName("gave_up")] bool GaveUp = false);

/// <summary>Every delivery of a job's events so far (the callback orchestration's custom status and output).</summary>
public sealed record CallbackReport([property: JsonPropertyName("deliveries")] IReadOnlyList<CallbackDelivery> Deliveries);

/// <summary>The intervals of a job's callbacks, in its input so that its orchestration stays deterministic.</summary>
/// <param name="WaitForEvents">
/// How long after the job's creation its events are waited for (past its deadline and the reconciler's).
/// </param>
public sealed record CallbackTimings(TimeSpan WaitForEvents, TimeSpan RetryFor, TimeSpan FirstRetryDelay, TimeSpan MaxRetryDelay);

/// <summary>
/// What <c>GET /api/videos/{id}</c> shows of a job's callback: the receiver's origin, the events asked for, the
/// deliveries.
/// </summary>
public sealed record CallbackView(
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("events")] IReadOnlyList<string> Events,
    [property: JsonPropertyName("deliveries")] IReadOnlyList<CallbackDelivery> Deliveries);
