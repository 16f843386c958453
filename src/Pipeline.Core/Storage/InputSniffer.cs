namespace Pipeline.Core.Storage;

/// <summary>What a file is, by its first bytes (never by its name), and the seed's size limits per kind.</summary>
public static class InputSniffer
{
    public const long MaxImageBytes = 30L * 1024 * 1024;
    public const long MaxVideoBytesInAll = 50L * 1024 * 1024;
    public const long MaxAudioBytes = 15L * 1024 * 1024;

    /// <summary>An image fal takes: JPEG, PNG or WebP.</summary>
    public static bool IsImage(ReadOnlySpan<byte> head) => IsJpeg(head) || IsPng(head) || IsWebP(head);

    public static bool IsJpeg(ReadOnlySpan<byte> head) => head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF;

    public static bool IsPng(ReadOnlySpan<byte> head) =>
        head.Length >= 8 && head[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });

    public static bool IsWebP(ReadOnlySpan<byte> head) =>
        head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8);

    /// <summary>
    /// HEIC/HEIF (what iPhones save): an ISO <c>ftyp</c> box whose major brand, or one of its compatible brands within
    /// <paramref name="head"/>, is a HEIF image brand. fal does not take these; <see cref="IsVideo"/> also matches them,
    /// since MP4 starts with <c>ftyp</c> too, so ask this first.
    /// </summary>
    public static bool IsHeif(ReadOnlySpan<byte> head)
    {
        if (head.Length < 12 || !head[4..8].SequenceEqual("ftyp"u8))
        {
            return false;
        }

        // ftyp: size(4) "ftyp"(4) major brand(4) minor version(4) compatible brands(4 each) up to its size.
        var boxEnd = (int)Math.Min(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(head), head.Length);
        if (IsHeifBrand(head[8..12]))
        {
            return true;
        }

        for (var offset = 16; offset + 4 <= boxEnd; offset += 4)
        {
            if (IsHeifBrand(head.Slice(offset, 4)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>HEVC stills (heic, heix), HEVC sequences (hevc), multi-layer ones (heim, heis), generic HEIF (mif1, msf1).</summary>
    private static bool IsHeifBrand(ReadOnlySpan<byte> brand) =>
        brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("hevc"u8) || brand.SequenceEqual("heim"u8)
        || brand.SequenceEqual("heis"u8) || brand.SequenceEqual("mif1"u8) || brand.SequenceEqual("msf1"u8);

    /// <summary>MP4 and MOV: an ISO media box first.</summary>
    public static bool IsVideo(ReadOnlySpan<byte> head) =>
        head.Length >= 8 && (head[4..8].SequenceEqual("ftyp"u8) || head[4..8].SequenceEqual("moov"u8) || head[4..8].SequenceEqual("wide"u8)
                             || head[4..8].SequenceEqual("mdat"u8) || head[4..8].SequenceEqual("free"u8));

    /// <summary>MP3 (an ID3 tag or a frame sync) and WAV.</summary>
    public static bool IsAudio(ReadOnlySpan<byte> head) =>
        (head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WAVE"u8))
        || (head.Length >= 3 && head[..3].SequenceEqual("ID3"u8))
        || (head.Length >= 2 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0);
}
