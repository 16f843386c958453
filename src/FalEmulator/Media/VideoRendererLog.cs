namespace FalEmulator.Media;

/// <summary>Source-generated log messages of the renderer (no formatting cost when the level is off).</summary>
internal static partial class VideoRendererLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Using ffmpeg at {FfmpegPath}: {FfmpegVersion}")]
    public static partial void FfmpegFound(ILogger logger, string ffmpegPath, string ffmpegVersion);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning,
        Message = "ffmpeg at {FfmpegPath} cannot be run ({Reason}); serving committed fallback clips")]
    public static partial void FfmpegUnavailable(ILogger logger, string ffmpegPath, string reason);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "Running {FfmpegPath} {Arguments}")]
    public static partial void RunningFfmpeg(ILogger logger, string ffmpegPath, CommandLine arguments);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information,
        Message = "Rendered {Mode} video {Width}x{Height} {DurationSeconds} s (audio: {HasAudio}) in {ElapsedMs} ms: "
            + "{Path} ({Length} bytes)")]
    public static partial void Rendered(
        ILogger logger, string mode, int width, int height, int durationSeconds, bool hasAudio, long elapsedMs, string path, long length);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Debug, Message = "Reusing rendered video {Path}")]
    public static partial void CacheHit(ILogger logger, string path);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning,
        Message = "Drawing the prompt failed (ffmpeg exit code {ExitCode}); rendering without text. ffmpeg said: {StderrTail}")]
    public static partial void DrawTextFailed(ILogger logger, int exitCode, string stderrTail);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Information, Message = "Serving fallback clip {Path} (audio: {HasAudio})")]
    public static partial void FallbackServed(ILogger logger, string path, bool hasAudio);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Information, Message = "Render {CacheKey} cancelled; ffmpeg was stopped")]
    public static partial void RenderCancelled(ILogger logger, string cacheKey);
}

/// <summary>Arguments joined only when a log line is actually written.</summary>
internal readonly record struct CommandLine(IReadOnlyList<string> Arguments)
{
    public override string ToString() => string.Join(' ', Arguments);
}
