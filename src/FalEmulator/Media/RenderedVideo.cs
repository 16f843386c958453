namespace FalEmulator.Media;

/// <summary>A finished MP4 on local disk.</summary>
/// <param name="Path">Absolute path of the file (a cached render or a committed fallback clip; do not delete it).</param>
/// <param name="Length">File size in bytes.</param>
/// <param name="RenderedWithFfmpeg">False when ffmpeg could not be run and a committed fallback clip was served.</param>
public sealed record RenderedVideo(
    string Path,
    long Length,
    int Width,
    int Height,
    int DurationSeconds,
    bool HasAudio,
    bool RenderedWithFfmpeg);
