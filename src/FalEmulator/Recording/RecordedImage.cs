namespace FalEmulator.Recording;

/// <summary>
/// One input image the model downloaded for a request, as it found it, refused or not: what fal was given, so a test
/// can assert that it only ever saw upright JPEG, PNG or WebP.
/// </summary>
/// <param name="Field">The input field: <c>image_url</c>, <c>end_image_url</c> or <c>image_urls[i]</c>.</param>
/// <param name="Format"><c>jpeg</c>, <c>png</c> or <c>webp</c>; <c>heif</c> or null (neither) for what the model refused.</param>
/// <param name="Width">As stored; null when the header gave no size.</param>
/// <param name="Height">As stored; null when the header gave no size.</param>
/// <param name="Orientation">A JPEG's EXIF orientation (1 when upright as stored, 6 when meant to be turned 90° clockwise);
/// 1 for PNG and WebP; null when the header gave no size.</param>
public sealed record RecordedImage(string Field, string? Format, int? Width, int? Height, int? Orientation);
