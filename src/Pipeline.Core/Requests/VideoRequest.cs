using System.Text.Json.Serialization;

namespace Pipeline.Core.Requests;

/// <summary>
/// A Seedance 2.0 Fast input (shared/seed/seedance-2.0-fast-api.md), field names unchanged, defaults filled in.
/// URL fields hold http(s) URLs, or <see cref="BlobReference"/>s for inbox files, which become short-lived SAS URLs
/// only inside the submit activity (so no signature is ever stored in orchestration history).
/// </summary>
public sealed record VideoRequest
{
    public const string DefaultResolution = "720p";
    public const string DefaultDuration = "auto";
    public const string DefaultAspectRatio = "auto";

    [JsonPropertyName("prompt")]
    public required string Prompt { get; init; }

    [JsonPropertyName("resolution")]
    public string Resolution { get; init; } = DefaultResolution;

    [JsonPropertyName("duration")]
    public string Duration { get; init; } = DefaultDuration;

    [JsonPropertyName("aspect_ratio")]
    public string AspectRatio { get; init; } = DefaultAspectRatio;

    [JsonPropertyName("generate_audio")]
    public bool GenerateAudio { get; init; } = true;

    [JsonPropertyName("seed")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Seed { get; init; }

    [JsonPropertyName("end_user_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EndUserId { get; init; }

    [JsonPropertyName("image_url")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ImageUrl { get; init; }

    [JsonPropertyName("end_image_url")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EndImageUrl { get; init; }

    [JsonPropertyName("image_urls")]
    public IReadOnlyList<string> ImageUrls { get; init; } = [];

    [JsonPropertyName("video_urls")]
    public IReadOnlyList<string> VideoUrls { get; init; } = [];

    [JsonPropertyName("audio_urls")]
    public IReadOnlyList<string> AudioUrls { get; init; } = [];

    /// <summary>The request with the URL of one field (as <see cref="Urls"/> names it) replaced.</summary>
    public VideoRequest WithUrl(string field, string url) => field switch
    {
        "image_url" => this with { ImageUrl = url },
        "end_image_url" => this with { EndImageUrl = url },
        _ when field.StartsWith("image_urls[", StringComparison.Ordinal) => this with { ImageUrls = Replace(ImageUrls, field, url) },
        _ when field.StartsWith("video_urls[", StringComparison.Ordinal) => this with { VideoUrls = Replace(VideoUrls, field, url) },
        _ when field.StartsWith("audio_urls[", StringComparison.Ordinal) => this with { AudioUrls = Replace(AudioUrls, field, url) },
        _ => throw new ArgumentException($"no URL field {field}", nameof(field)),
    };

    private static List<string> Replace(IReadOnlyList<string> urls, string field, string url)
    {
        var index = int.Parse(
            field[(field.IndexOf('[', StringComparison.Ordinal) + 1)..^1], System.Globalization.CultureInfo.InvariantCulture);
        return [.. urls.Select((u, i) => i == index ? url : u)];
    }

    /// <summary>Every URL field with its JSON name (<c>image_urls[1]</c>), in the order fal reads them.</summary>
    public IEnumerable<(string Field, string Url)> Urls()
    {
        if (ImageUrl is not null)
        {
            yield return ("image_url", ImageUrl);
        }

        if (EndImageUrl is not null)
        {
            yield return ("end_image_url", EndImageUrl);
        }

        for (var i = 0; i < ImageUrls.Count; i++)
        {
            yield return ($"image_urls[{i}]", ImageUrls[i]);
        }

        for (var i = 0; i < VideoUrls.Count; i++)
        {
            yield return ($"video_urls[{i}]", VideoUrls[i]);
        }

        for (var i = 0; i < AudioUrls.Count; i++)
        {
            yield return ($"audio_urls[{i}]", AudioUrls[i]);
        }
    }
}
