using ImageMagick;

namespace Pipeline.Core.Inbox;

/// <summary>Whether a photo's metadata says where it was taken: EXIF GPS coordinates, or their XMP copy.</summary>
internal static class PhotoLocation
{
    /// <summary>Tags that place the photo; altitude, speed or time alone do not.</summary>
    private static readonly ExifTag[] PlacingTags =
    [
        ExifTag.GPSLatitude, ExifTag.GPSLongitude, ExifTag.GPSDestLatitude, ExifTag.GPSDestLongitude, ExifTag.GPSAreaInformation,
    ];

    public static bool IsIn(IMagickImage image)
    {
        if (image.GetExifProfile() is { } exif && exif.Values.Any(v => PlacingTags.Contains(v.Tag)))
        {
            return true;
        }

        // XMP is text (exif:GPSLatitude="48,51.504N"); a search of its bytes is enough to decide.
        var xmp = image.GetXmpProfile()?.ToByteArray();
        return xmp is not null
               && (xmp.AsSpan().IndexOf("GPSLatitude"u8) >= 0 || xmp.AsSpan().IndexOf("GPSLongitude"u8) >= 0);
    }
}
