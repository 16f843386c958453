using System.Text.Json.Serialization;

namespace Pipeline.Core.Requests;

/// <summary>The three Seedance 2.0 Fast endpoints, named as in their URLs.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VideoMode>))]
public enum VideoMode
{
    [JsonStringEnumMemberName("text-to-video")]
    TextToVideo,

    [JsonStringEnumMemberName("image-to-video")]
    ImageToVideo,

    [JsonStringEnumMemberName("reference-to-video")]
    ReferenceToVideo,
}

public static class VideoModes
{
    public static readonly IReadOnlyList<VideoMode> All = [VideoMode.TextToVideo, VideoMode.ImageToVideo, VideoMode.ReferenceToVideo];

    /// <summary>The URL name: <c>text-to-video</c>, <c>image-to-video</c>, <c>reference-to-video</c>.</summary>
    public static string Slug(this VideoMode mode) => mode switch
    {
        VideoMode.TextToVideo => "text-to-video",
        VideoMode.ImageToVideo => "image-to-video",
        _ => "reference-to-video",
    };

    /// <summary>fal's endpoint id for the mode.</summary>
    public static string EndpointId(this VideoMode mode) => "bytedance/seedance-2.0/fast/" + mode.Slug();

    public static bool TryParse(string? slug, out VideoMode mode)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.Slug(), slug, StringComparison.OrdinalIgnoreCase))
            {
                mode = candidate;
                return true;
            }
        }

        mode = default;
        return false;
    }
}
