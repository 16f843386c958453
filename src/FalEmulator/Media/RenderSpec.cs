namespace FalEmulator.Media;

/// <summary>What to render for one request.</summary>
/// <param name="Mode"><c>text-to-video</c>, <c>image-to-video</c> or <c>reference-to-video</c>.</param>
/// <param name="Prompt">The request's prompt (drawn on the frame when there is no image).</param>
/// <param name="Duration">Raw enum from the input: <c>auto</c> or <c>4</c>..<c>15</c>.</param>
/// <param name="Resolution">Raw enum from the input: <c>480p</c> or <c>720p</c>.</param>
/// <param name="AspectRatio">
/// Raw enum from the input: <c>auto</c>, <c>21:9</c>, <c>16:9</c>, <c>4:3</c>, <c>1:1</c>, <c>3:4</c> or <c>9:16</c>.
/// </param>
/// <param name="GenerateAudio">True: the video gets an audio track; false: it has none at all.</param>
/// <param name="StartImagePath">Local file of the (already downloaded) start or reference image, or null.</param>
/// <param name="EndImagePath">Local file of the end image, or null.</param>
public sealed record RenderSpec(
    string Mode,
    string Prompt,
    string Duration,
    string Resolution,
    string AspectRatio,
    bool GenerateAudio,
    string? StartImagePath,
    string? EndImagePath);
