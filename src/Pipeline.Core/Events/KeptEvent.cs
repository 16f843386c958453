using System.Text.Json.Serialization;

namespace Pipeline.Core.Events;

/// <summary>
/// An event that could not be delivered yet, as the outbox keeps it (<c>jobs/events/{job}/{n}-{type}.json</c>): the
/// event itself (its CloudEvent id never changes), when it was kept, how often it was offered, the last error, when it is
/// offered next, and when it was given up (after <see cref="Options.EventGridOptions.RetryFor"/>; kept visible until the purge).
/// </summary>
public sealed record KeptEvent(
    [property: JsonPropertyName("event")] JobEvent Event,
    [property: JsonPropertyName("kept_at")] DateTimeOffset KeptAt,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("last_error")] string LastError,
    [property: JsonPropertyName("next_attempt_at")] DateTimeOffset NextAttemptAt,
    [property: JsonPropertyName("gave_up_at")] DateTimeOffset? GaveUpAt = null);

/// <summary>An undelivered event as the status API shows it.</summary>
public sealed record UndeliveredEvent(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("last_error")] string LastError,
    [property: JsonPropertyName("next_attempt_at")] DateTimeOffset? NextAttemptAt,
    [property: JsonPropertyName("gave_up")] bool GaveUp)
{
    public static UndeliveredEvent Of(KeptEvent kept) => new(kept.Event.CloudEventId, kept.Event.Type, kept.Attempts, kept.LastError,
        kept.GaveUpAt is null ? kept.NextAttemptAt : null, kept.GaveUpAt is not null);
}
