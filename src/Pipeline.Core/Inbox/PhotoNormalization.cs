namespace Pipeline.Core.Inbox;

/// <summary>What <see cref="PhotoNormalizer"/> did to make a dropped photo into an upright JPEG for fal.</summary>
/// <param name="From">The photo's format before (the result is always JPEG).</param>
/// <param name="RotatedDegrees">Clockwise turn applied to make the pixels upright: 0, 90, 180 or 270.</param>
/// <param name="Mirrored">The photo was also mirrored (rare EXIF orientations 2, 4, 5 and 7, or HEIF's <c>imir</c>).</param>
/// <param name="LocationRemoved">The photo carried a GPS location and the copy does not.</param>
/// <param name="Width">The copy's width in pixels, upright.</param>
/// <param name="Height">The copy's height in pixels, upright.</param>
public sealed record PhotoNormalization(PhotoFormat From, int RotatedDegrees, bool Mirrored, bool LocationRemoved, int Width, int Height);
