namespace FalEmulator.Model;

/// <summary>
/// The endpoint ids the emulator serves, and how fal splits an id into owner, app alias and path
/// (<c>bytedance/seedance-2.0/fast/image-to-video</c> → owner <c>bytedance</c>, alias <c>seedance-2.0</c>,
/// path <c>fast/image-to-video</c>). Submit takes the full id; status, result and cancel take only owner/alias.
/// </summary>
public static class SeedanceEndpoints
{
    public const string Owner = "bytedance";
    public const string Alias = "seedance-2.0";
    public const string TextToVideo = "bytedance/seedance-2.0/fast/text-to-video";
    public const string ImageToVideo = "bytedance/seedance-2.0/fast/image-to-video";
    public const string ReferenceToVideo = "bytedance/seedance-2.0/fast/reference-to-video";

    public static readonly IReadOnlyList<string> All = [TextToVideo, ImageToVideo, ReferenceToVideo];

    /// <summary>The mode (last path segment) of a served endpoint id, or null when the id is not served.</summary>
    public static string? ModeOf(string endpointId) =>
        All.Contains(endpointId, StringComparer.Ordinal) ? endpointId[(endpointId.LastIndexOf('/') + 1)..] : null;

    /// <summary>The owner/alias prefix fal uses for status, result and cancel URLs.</summary>
    public static string AppOf(string endpointId)
    {
        var parts = endpointId.Split('/', 3);
        return parts.Length >= 2 ? $"{parts[0]}/{parts[1]}" : endpointId;
    }
}
