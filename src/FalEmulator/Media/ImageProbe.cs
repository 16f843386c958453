using System.Buffers.Binary;

namespace FalEmulator.Media;

/// <summary>Format and pixel size of an input image, read from its header only.</summary>
/// <param name="Format"><c>jpeg</c>, <c>png</c> or <c>webp</c>.</param>
/// <param name="ContentType">MIME type matching <paramref name="Format"/>.</param>
public sealed record ImageInfo(string Format, string ContentType, int Width, int Height);

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
    /// Format and dimensions, or null when the bytes are not a supported image or the header is
    /// truncated before the dimensions (pass up to 64 KB: JPEG metadata can push the frame header far in).
    /// </summary>
    public static ImageInfo? Probe(ReadOnlySpan<byte> header)
    {
        var format = DetectFormat(header);
        (int Width, int Height)? size = format switch
        {
            "png" => ProbePng(header),
            "jpeg" => ProbeJpeg(header),
            "webp" => ProbeWebp(header),
            _ => null,
        };

        if (format is null || size is not { Width: > 0, Height: > 0 } dims)
        {
            return null;
        }

        return new ImageInfo(format, ContentTypeOf(format), dims.Width, dims.Height);
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

    private static (int, int)? ProbeJpeg(ReadOnlySpan<byte> data)
    {
        // Walk the marker segments until a start-of-frame; APPn segments (EXIF, with its own thumbnail
        // JPEG inside) are skipped whole by their length, so a thumbnail's SOF is never mistaken for ours.
        var pos = 2;
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
                return (width, height);
            }

            pos += length;
        }

        return null;
    }

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
