using System.Text.Json.Nodes;

namespace Pipeline.Core.Fal;

/// <summary>One ended request in fal's request history.</summary>
/// <param name="StartedAt">When a runner took it; null when it never ran (e.g. cancelled while queued).</param>
/// <param name="SentAt">When it was submitted.</param>
/// <param name="StatusCode">The HTTP status it ended with (200, 422, 499 cancelled, 5xx…).</param>
/// <param name="Duration">fal's <c>duration</c>, read as seconds.</param>
public sealed record FalRequestHistoryItem(
    string RequestId,
    string EndpointId,
    DateTimeOffset? StartedAt,
    DateTimeOffset? SentAt,
    DateTimeOffset? EndedAt,
    int? StatusCode,
    TimeSpan? Duration)
{
    /// <summary>
    /// The input as submitted, with <see cref="FalRequestHistoryQuery.IncludePayloads"/>; null without it or once the
    /// payloads were deleted. Never logged: it may hold signed URLs.
    /// </summary>
    public JsonObject? JsonInput { get; init; }

    /// <summary>The result body (the model output, or fal's error), under the same conditions.</summary>
    public JsonObject? JsonOutput { get; init; }
}
