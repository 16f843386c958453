using System.Buffers.Binary;

namespace FalEmulator.Media;

/// <summary>Format and pixel size (as stored, before any EXIF orientation) of an input image, read from its header only.</summary>
/// <param name="Format"><c>jpeg</c>, <c>png</c> or <c>webp</c>.</param>
/// <param name="ContentType">MIME type matching <paramref name="Format"/>.</param>
/// <param name="Orientation">A JPEG's EXIF orientation, 1–8 (1: upright as stored, 6: to be turned 90° clockwise);
/// 1 when it has none, and for PNG and WebP.</param>
public sealed record ImageInfo(string Format, string ContentType, int Width, int Height, int Orientation = 1);

/// <summary>
/// Recognises the image formats fal accepts for Seedance (JPEG, PNG, WebP) from their first bytes.
/// Parsing headers ourselves avoids decoding (and trusting) whole uploads just to learn their size.
/// </summary>
public static class ImageProbe
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Format from magic bytes only: <c>jpeg</c>, <c>png</c>, <c>webp</c>, or null.</summary>
    public static string? DetectFormat(ReadOnlySpan<byte> header)
    {
        if (header.StartsWith(PngSignature))
        {
            return "png";
        }

        if (header.Length >= 3 && header[0] == 0xFF && header[1] == 0xD8 && header[2] == 0xFF)
        {
            return "jpeg";
        }

        if (header.Length >= 12 && header[..4].SequenceEqual("RIFF"u8) && header.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            return "webp";
        }

        return null;
    }

    /// <summary>
    /// HEIC/HEIF, which iPhones save and fal refuses: an ISO <c>ftyp</c> box with a HEIF brand as its major brand or
    /// among its compatible ones (an MP4 also starts with <c>ftyp</c>, under other brands).
    /// </summary>
    public static bool IsHeif(ReadOnlySpan<byte> header)
    {
        if (header.Length < 12 || !header.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            return false;
        }

        // size(4) "ftyp"(4) major brand(4) minor version(4), then compatible brands to the box's end.
        if (IsHeifBrand(header.Slice(8, 4)))
        {
            return true;
        }

        var boxEnd = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(header), (uint)header.Length);
        for (var offset = 16; offset + 4 <= boxEnd; offset += 4)
        {
            if (IsHeifBrand(header.Slice(offset, 4)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsHeifBrand(ReadOnlySpan<byte> brand) =>
        brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("hevc"u8) || brand.SequenceEqual("heim"u8)
        || brand.SequenceEqual("heis"u8) || brand.SequenceEqual("mif1"u8) || brand.SequenceEqual("msf1"u8);

    /// <summary>
    /// Format, dimensions and (JPEG) EXIF orientation, or null when the bytes are not a supported image or the header is
    /// truncated before the dimensions (pass up to 64 KB: JPEG metadata can push the frame header far in).
    /// </summary>
    public static ImageInfo? Probe(ReadOnlySpan<byte> header)
    {
        var format = DetectFormat(header);
        (int Width, int Height, int Orientation)? size = format switch
        {
            "png" => ProbePng(header) is { } png ? (png.Item1, png.Item2, 1) : null,
            "jpeg" => ProbeJpeg(header),
            "webp" => ProbeWebp(header) is { } webp ? (webp.Item1, webp.Item2, 1) : null,
            _ => null,
        };

        if (format is null || size is not { Width: > 0, Height: > 0 } dims)
        {
            return null;
        }

        return new ImageInfo(format, ContentTypeOf(format), dims.Width, dims.Height, dims.Orientation);
    }

    internal static string ContentTypeOf(string format) => format switch
    {
        "png" => "image/png",
        "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    };

    private static (int, int)? ProbePng(ReadOnlySpan<byte> data)
    {
        // The PNG spec requires IHDR to be the first chunk: signature(8) length(4) "IHDR"(4) width(4) height(4).
        if (data.Length < 24 || !data.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            return null;
        }

        var width = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(16, 4));
        var height = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(20, 4));
        return width is 0 or > int.MaxValue || height is 0 or > int.MaxValue ? null : ((int)width, (int)height);
    }

    private static (int, int, int)? ProbeJpeg(ReadOnlySpan<byte> data)
    {
        // Walk the marker segments until a start-of-frame; APPn segments (EXIF, with its own thumbnail
        // JPEG inside) are skipped whole by their length, so a thumbnail's SOF is never mistaken for ours.
        var pos = 2;
        var orientation = 1;
        while (pos < data.Length)
        {
            if (data[pos] != 0xFF)
            {
                return null;
            }

            // Any number of 0xFF fill bytes may precede a marker code.
            while (pos < data.Length && data[pos] == 0xFF)
            {
                pos++;
            }

            if (pos >= data.Length)
            {
                return null;
            }

            var marker = data[pos++];
            if (marker == 0x01 || marker is >= 0xD0 and <= 0xD8)
            {
                continue; // standalone markers (TEM, RSTn, SOI) carry no length
            }

            if (marker is 0xD9 or 0xDA)
            {
                return null; // end of image or scan data before any frame header
            }

            if (pos + 2 > data.Length)
            {
                return null;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(pos, 2));
            if (length < 2)
            {
                return null;
            }

            if (IsStartOfFrame(marker))
            {
                // length(2) precision(1) height(2) width(2)
                if (pos + 7 > data.Length)
                {
                    return null;
                }

                int height = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(pos + 3, 2));
                int width = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(pos + 5, 2));
                return (width, height, orientation);
            }

            if (marker == 0xE1 && pos + length <= data.Length && ExifOrientation(data.Slice(pos + 2, length - 2)) is { } tagged)
            {
                orientation = tagged;
            }

            pos += length;
        }

        return null;
    }

    /// <summary>
    /// The orientation tag (0x0112) of an APP1 EXIF segment: <c>Exif\0\0</c>, a TIFF header (byte order <c>II</c> or
    /// <c>MM</c>, 42, the offset of IFD0), then IFD0's count and 12-byte entries. Null when absent or not 1–8.
    /// </summary>
    private static int? ExifOrientation(ReadOnlySpan<byte> app1)
    {
        if (app1.Length < 14 || !app1[..6].SequenceEqual("Exif\0\0"u8))
        {
            return null;
        }

        var tiff = app1[6..];
        var little = tiff[..2].SequenceEqual("II"u8);
        if (!little && !tiff[..2].SequenceEqual("MM"u8))
        {
            return null;
        }

        var ifd = ReadUInt32(tiff[4..], little);
        if (ifd > (uint)tiff.Length - 2)
        {
            return null;
        }

        var entries = ReadUInt16(tiff[(int)ifd..], little);
        for (var i = 0; i < entries; i++)
        {
            var entry = (int)ifd + 2 + (i * 12);
            if (entry + 12 > tiff.Length)
            {
                return null;
            }

            // tag(2) type(2) count(4) value(4): a SHORT's value sits in the first two bytes.
            if (ReadUInt16(tiff[entry..], little) == 0x0112 && ReadUInt16(tiff[(entry + 2)..], little) == 3)
            {
                return ReadUInt16(tiff[(entry + 8)..], little) is var value and >= 1 and <= 8 ? value : null;
            }
        }

        return null;
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> bytes, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(bytes) : BinaryPrimitives.ReadUInt16BigEndian(bytes);

    private static uint ReadUInt32(ReadOnlySpan<byte> bytes, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : BinaryPrimitives.ReadUInt32BigEndian(bytes);

    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    private static bool IsStartOfFrame(byte marker) =>
        marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;

    private static (int, int)? ProbeWebp(ReadOnlySpan<byte> data)
    {
        // RIFF(4) size(4) WEBP(4), then the first chunk: fourcc(4) size(4) payload.
        if (data.Length < 20)
        {
            return null;
        }

        var fourCc = data.Slice(12, 4);
        var payload = data[20..];

        if (fourCc.SequenceEqual("VP8 "u8))
        {
            // Lossy: 3-byte frame tag (bit 0 clear on key frames), start code 9D 01 2A, then 14-bit sizes.
            if (payload.Length < 10 || (payload[0] & 1) != 0
                || payload[3] != 0x9D || payload[4] != 0x01 || payload[5] != 0x2A)
            {
                return null;
            }

            var width = BinaryPrimitives.ReadUInt16LittleEndian(payload.Slice(6, 2)) & 0x3FFF;
            var height = BinaryPrimitives.ReadUInt16LittleEndian(payload.Slice(8, 2)) & 0x3FFF;
            return (width, height);
        }

        if (fourCc.SequenceEqual("VP8L"u8))
        {
            // Lossless: signature 0x2F, then width-1 and height-1 packed as two 14-bit fields.
            if (payload.Length < 5 || payload[0] != 0x2F)
            {
                return null;
            }

            var bits = BinaryPrimitives.ReadUInt32LittleEndian(payload.Slice(1, 4));
            return ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }

        if (fourCc.SequenceEqual("VP8X"u8))
        {
            // Extended: flags(1) reserved(3), then canvas width-1 and height-1 as 24-bit little-endian.
            if (payload.Length < 10)
            {
                return null;
            }

            return (ReadUInt24LittleEndian(payload.Slice(4, 3)) + 1, ReadUInt24LittleEndian(payload.Slice(7, 3)) + 1);
        }

        return null;
    }

    private static int ReadUInt24LittleEndian(ReadOnlySpan<byte> bytes) => bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);
}
