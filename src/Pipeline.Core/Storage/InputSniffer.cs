namespace Pipeline.Core.Storage;

/// <summary>What a file is, by its first bytes (never by its name), and the seed's size limits per kind.</summary>
public static class InputSniffer
{
    public const long MaxImageBytes = 30L * 1024 * 1024;
    public const long MaxVideoBytesInAll = 50L * 1024 * 1024;
    public const long MaxAudioBytes = 15L * 1024 * 1024;

    public static bool IsImage(ReadOnlySpan<byte> head) =>
        (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) // JPEG
        || (head.Length >= 8 && head[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A })) // PNG
        || (head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)); // WebP

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
