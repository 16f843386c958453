using ImageMagick;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Inbox;

/// <summary>
/// Makes a dropped photo fit for fal: fal takes JPEG, PNG and WebP only, and the model does not reliably honour EXIF
/// orientation. A photo that is already fine is left alone; any other becomes an upright sRGB JPEG without its location
/// (and, unless the location is kept, without any metadata).
/// </summary>
public class PhotoNormalizer
{
    public const int JpegQuality = 92;

    /// <summary>A 30 MB file can still declare a huge canvas; 100 megapixels (about 400 MB decoded) fits 48 MP phone photos.</summary>
    public const long MaxPixels = 100_000_000;

    /// <summary>
    /// Reads <paramref name="photo"/> (at most <see cref="InputSniffer.MaxImageBytes"/>) and decides. Already fine — a
    /// JPEG, PNG or WebP named as one, upright (no EXIF orientation but 1) and without a GPS location (or with one that
    /// <paramref name="keepLocation"/> keeps) — returns null and writes nothing. Otherwise writes an upright JPEG to
    /// <paramref name="output"/>: the orientation applied to the pixels and its tag gone, colours in sRGB, no location,
    /// and no other metadata either unless <paramref name="keepLocation"/> (then the EXIF stays, location included).
    /// </summary>
    /// <param name="name">The drop's name, for messages and because a <c>.heic</c> name needs a JPEG copy whatever it holds.</param>
    /// <exception cref="PhotoUnreadableException">Not a JPEG, PNG, WebP or HEIC photo, damaged, or too big.</exception>
    public virtual async Task<PhotoNormalization?> NormalizeAsync(
        Stream photo, string name, Stream output, bool keepLocation = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(output);
        var bytes = await ReadBoundedAsync(photo, name, cancellationToken);
        var format = PhotoFormats.Detect(bytes) ?? throw new PhotoUnreadableException(
            $"{name} is not a JPEG, PNG, WebP or HEIC photo. Save or export it in one of those formats and drop it again.");

        var settings = ReadSettings(format);
        using var image = new MagickImage();
        try
        {
            // Headers and metadata only: most drops are already fine and need no decoding.
            image.Ping(bytes, settings);
            CheckSize(image, name);
            var orientation = OrientationOf(image, format);
            var hasLocation = PhotoLocation.IsIn(image);
            if (format != PhotoFormat.Heif && PhotoFormats.IsFalPhoto(name) && orientation == 1 && (!hasLocation || keepLocation))
            {
                return null;
            }

            image.Read(bytes, settings);
            var (degrees, mirrored) = format == PhotoFormat.Heif ? HeifTransforms.Read(bytes) : Turn(orientation);
            MakeUprightSrgbJpeg(image, format, orientation, keepLocation);
            await image.WriteAsync(output, MagickFormat.Jpeg, cancellationToken);
            return new PhotoNormalization(format, degrees, mirrored, hasLocation && !keepLocation, (int)image.Width, (int)image.Height);
        }
        catch (MagickException e)
        {
            throw Unreadable(name, format, e);
        }
    }

    private static void MakeUprightSrgbJpeg(MagickImage image, PhotoFormat format, int orientation, bool keepLocation)
    {
        // A HEIF decoder has already applied the file's own rotation; the EXIF tag iPhones also write must not turn it again.
        image.Orientation = format == PhotoFormat.Heif ? Orientation.TopLeft : (Orientation)orientation;
        image.AutoOrient();
        ToSrgb(image);
        if (image.HasAlpha)
        {
            image.BackgroundColor = MagickColors.White; // JPEG has no transparency: lay it on white, as viewers show it
            image.Alpha(AlphaAction.Remove);
        }

        var exif = keepLocation ? UprightExif(image) : null;
        image.Strip(); // EXIF, XMP (which may repeat the location and orientation), IPTC, comments and, once in sRGB, the ICC profile
        if (exif is not null)
        {
            image.SetProfile(exif);
        }

        image.Quality = JpegQuality;
    }

    /// <summary>The format is named rather than guessed, so ImageMagick never runs a coder other than the one sniffed.</summary>
    private static MagickReadSettings ReadSettings(PhotoFormat format) => new()
    {
        Format = format switch
        {
            PhotoFormat.Jpeg => MagickFormat.Jpeg,
            PhotoFormat.Png => MagickFormat.Png,
            PhotoFormat.WebP => MagickFormat.WebP,
            _ => MagickFormat.Heic,
        },
        FrameIndex = 0, // the first frame of an animated WebP, the primary image of a HEIF
        FrameCount = 1,
    };

    private static async Task<byte[]> ReadBoundedAsync(Stream photo, string name, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await photo.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > InputSniffer.MaxImageBytes)
            {
                throw new PhotoUnreadableException($"{name} is larger than {InputSniffer.MaxImageBytes / (1024 * 1024)} MB, "
                    + "the most a photo may be. Export it smaller and drop it again.");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static void CheckSize(MagickImage image, string name)
    {
        if ((long)image.Width * image.Height > MaxPixels)
        {
            throw new PhotoUnreadableException($"{name} is {image.Width}×{image.Height} pixels, "
                + $"more than {MaxPixels / 1_000_000} megapixels. Export it smaller and drop it again.");
        }
    }

    private static PhotoUnreadableException Unreadable(string name, PhotoFormat format, MagickException e) => new(
        $"{name} looks like a {Describe(format)} photo but could not be read: it may be damaged or cut short. "
        + "Open it on the device it came from, export or save it again, and drop the new file.", e);

    private static string Describe(PhotoFormat format) => format switch
    {
        PhotoFormat.Jpeg => "JPEG",
        PhotoFormat.Png => "PNG",
        PhotoFormat.WebP => "WebP",
        _ => "HEIC",
    };

    /// <summary>EXIF orientation 1–8; 1 when absent or out of range, as viewers read it. HEIF's own rotation is the decoder's.</summary>
    private static int OrientationOf(MagickImage image, PhotoFormat format)
    {
        if (format == PhotoFormat.Heif)
        {
            return 1;
        }

        int tagged = image.GetExifProfile()?.GetValue(ExifTag.Orientation)?.Value is { } value ? value : (int)image.Orientation;
        return tagged is >= 1 and <= 8 ? tagged : 1;
    }

    /// <summary>What applying EXIF orientation 1–8 does: a clockwise turn, after mirroring for 2, 4, 5 and 7.</summary>
    private static (int ClockwiseDegrees, bool Mirrored) Turn(int orientation) => orientation switch
    {
        2 => (0, true),
        3 => (180, false),
        4 => (180, true),
        5 => (270, true),
        6 => (90, false),
        7 => (90, true),
        8 => (270, false),
        _ => (0, false),
    };

    /// <summary>Pixels tagged with an ICC profile (Display P3, Adobe RGB…) are converted; untagged CMYK is taken as SWOP, other
    /// untagged pixels as sRGB already.</summary>
    private static void ToSrgb(MagickImage image)
    {
        if (image.GetColorProfile() is not null || image.ColorSpace == ColorSpace.CMYK)
        {
            // The first profile stands in only where the image has none of its own.
            var standIn = image.ColorSpace == ColorSpace.CMYK ? ColorProfiles.USWebCoatedSWOP : ColorProfiles.SRGB;
            image.TransformColorSpace(standIn, ColorProfiles.SRGB);
        }
    }

    /// <summary>The photo's EXIF without what no longer holds: the orientation (now applied) and the thumbnail (still sideways).</summary>
    private static IExifProfile? UprightExif(MagickImage image)
    {
        if (image.GetExifProfile() is not { } exif)
        {
            return null;
        }

        exif.RemoveValue(ExifTag.Orientation);
        exif.RemoveThumbnail();
        return exif;
    }
}
