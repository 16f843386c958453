using Pipeline.Core.Storage;

namespace Pipeline.Core.Inbox;

/// <summary>
/// The photos the inbox takes: fal's own JPEG, PNG and WebP, and HEIC/HEIF, which <see cref="PhotoNormalizer"/> turns
/// into JPEG first. Names decide whether a drop is a photo; the content decides what it is.
/// </summary>
public static class PhotoFormats
{
    public static readonly IReadOnlyList<string> Extensions = [".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"];

    /// <summary>The extensions fal itself takes; a photo named otherwise needs a copy under a JPEG name.</summary>
    public static readonly IReadOnlyList<string> FalExtensions = [".jpg", ".jpeg", ".png", ".webp"];

    /// <summary>Whether the inbox takes <paramref name="name"/> as a photo (by extension, in any case).</summary>
    public static bool IsPhoto(string name) => Extensions.Contains(Path.GetExtension(name), StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether fal would take a file of this name as it is (by extension, in any case).</summary>
    public static bool IsFalPhoto(string name) => FalExtensions.Contains(Path.GetExtension(name), StringComparer.OrdinalIgnoreCase);

    /// <summary>The format of a photo by its first bytes (at least 32 for HEIF's brands); null when it is none of them.</summary>
    public static PhotoFormat? Detect(ReadOnlySpan<byte> head) =>
        InputSniffer.IsJpeg(head) ? PhotoFormat.Jpeg
        : InputSniffer.IsPng(head) ? PhotoFormat.Png
        : InputSniffer.IsWebP(head) ? PhotoFormat.WebP
        : InputSniffer.IsHeif(head) ? PhotoFormat.Heif
        : null;
}
