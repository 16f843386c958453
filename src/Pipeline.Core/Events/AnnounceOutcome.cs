using System.Text.Json.Serialization;

namespace Pipeline.Core.Events;

/// <summary>What became of an event the job announced: delivered to the topic, or kept in the outbox for later delivery.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AnnounceOutcome>))]
public enum AnnounceOutcome
{
    Delivered,
    Kept,
}

/// <summary>
/// An event to announce; <paramref name="QueueBehind"/>: an earlier event of the job waits in the outbox, so this one
/// waits behind it.
/// </summary>
public sealed record JobAnnouncement(JobEvent Event, bool QueueBehind) : Telemetry.IDescribesJob
{
    (Requests.VideoMode? Mode, string? EndUserId, string? FalRequestId) Telemetry.IDescribesJob.Describe() =>
        ((Telemetry.IDescribesJob)Event).Describe();
}
