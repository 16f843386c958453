using System.Text.Json.Serialization;

namespace Pipeline.Core.Jobs;

/// <summary>
/// fal's verdict on a request, however it arrived (webhook or poll). The external event the webhook raises carries
/// this; <see cref="VideoUrl"/> is fal's public CDN link, not a secret.
/// </summary>
public sealed record FalCompletion(
    [property: JsonPropertyName("request_id")] string RequestId,
    [property: JsonPropertyName("succeeded")] bool Succeeded,
    [property: JsonPropertyName("video_url")] string? VideoUrl,
    [property: JsonPropertyName("content_type")] string? ContentType,
    [property: JsonPropertyName("file_size")] long? FileSize,
    [property: JsonPropertyName("seed")] long? Seed,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("error_type")] string? ErrorType);
