using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FalEmulator.Options;
using Microsoft.Extensions.Options;

namespace FalEmulator.Media;

/// <summary>
/// Produces a real, playable MP4 for a request with ffmpeg: a slow zoom over the start image, or the
/// prompt on a coloured background. Renders are cached by content, so identical jobs render once.
/// When ffmpeg cannot be run at all, committed fallback clips are served instead.
/// Disposing deletes the renders only when they live in a temp folder this instance created.
/// </summary>
public class VideoRenderer : IDisposable
{
    internal const int FramesPerSecond = 24;

    /// <summary>Size of the committed fallback clips (checked against the files by the tests).</summary>
    internal const int FallbackWidth = 854;
    internal const int FallbackHeight = 480;
    internal const int FallbackDurationSeconds = 5;

    internal const string FallbackAudioClip = "fallback-audio.mp4";
    internal const string FallbackSilentClip = "fallback-silent.mp4";

    /// <summary>Bumped whenever the ffmpeg recipe changes, so renders cached on disk by an older build are not reused.</summary>
    internal const string RecipeVersion = "seedance-render-v1";

    private const int ProbeHeaderBytes = 64 * 1024;

    /// <summary>The machine has few cores: more parallel encodes only make every job slower. Shared by all instances.</summary>
    private static readonly SemaphoreSlim FfmpegSlots = new(2, 2);

    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
    ];

    private readonly string _ffmpegPath;
    private readonly ILogger<VideoRenderer> _logger;
    private readonly Lazy<Task<bool>> _ffmpegAvailable;
    private readonly Dictionary<string, KeyLock> _keyLocks = new(StringComparer.Ordinal);
    private readonly Lock _keyLocksGate = new();
    private readonly string? _ownedTempRoot;
    private int _ffmpegRenders;

    public VideoRenderer(IOptions<FalEmulatorOptions> options, ILogger<VideoRenderer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);

        var settings = options.Value;
        _ffmpegPath = settings.FfmpegPath;
        _logger = logger;
        _ffmpegAvailable = new Lazy<Task<bool>>(CheckFfmpegAsync);

        // A private folder per instance when none is configured, so parallel emulators never share half-written files.
        if (string.IsNullOrWhiteSpace(settings.WorkDirectory))
        {
            _ownedTempRoot = Path.Combine(Path.GetTempPath(), "fal-emulator-" + Guid.NewGuid().ToString("N")[..12]);
            RenderDirectory = Path.Combine(_ownedTempRoot, "renders");
        }
        else
        {
            RenderDirectory = Path.Combine(Path.GetFullPath(settings.WorkDirectory), "renders");
        }
    }

    /// <summary>Where rendered videos are kept.</summary>
    internal string RenderDirectory { get; }

    /// <summary>Longest one ffmpeg run may take before it is killed.</summary>
    internal TimeSpan FfmpegTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Font for the prompt text; null lets fontconfig choose. Settable so tests can force the no-text retry.</summary>
    internal string? FontFile { get; set; } = FindFontFile();

    /// <summary>How many videos this instance has encoded (cache hits and fallbacks excluded).</summary>
    internal int FfmpegRenderCount => Volatile.Read(ref _ffmpegRenders);

    internal static string AssetsDirectory => Path.Combine(AppContext.BaseDirectory, "assets");

    /// <summary>Renders (or reuses) the video for <paramref name="spec"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An unknown duration, resolution or aspect ratio.</exception>
    /// <exception cref="VideoRenderException">ffmpeg failed or timed out.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the ffmpeg process was killed.</exception>
    public virtual async Task<RenderedVideo> RenderAsync(RenderSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);

        var seconds = VideoGeometry.ResolveDurationSeconds(spec.Duration);
        var start = spec.StartImagePath is null ? null : await ReadImageAsync(spec.StartImagePath, cancellationToken).ConfigureAwait(false);

        // A crossfade needs something to fade from, so an end image alone is ignored.
        var end = start is null || spec.EndImagePath is null
            ? null
            : await ReadImageAsync(spec.EndImagePath, cancellationToken).ConfigureAwait(false);
        var (width, height) = VideoGeometry.Resolve(spec.Resolution, spec.AspectRatio, start?.Info);

        if (!await _ffmpegAvailable.Value.WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            return ServeFallback(spec.GenerateAudio);
        }

        var plan = new RenderPlan(spec.Mode, PromptText.Normalize(spec.Prompt), width, height, seconds, spec.GenerateAudio, start, end);
        var finalPath = Path.Combine(RenderDirectory, "seedance-" + plan.CacheKey + ".mp4");

        if (TryGetCached(plan, finalPath) is { } cached)
        {
            return cached;
        }

        // One render per spec at a time: concurrent identical requests wait and then find the cached file.
        using (await AcquireKeyLockAsync(plan.CacheKey, cancellationToken).ConfigureAwait(false))
        {
            if (TryGetCached(plan, finalPath) is { } renderedMeanwhile)
            {
                return renderedMeanwhile;
            }

            try
            {
                return await RenderWithFfmpegAsync(plan, finalPath, cancellationToken).ConfigureAwait(false);
            }
            catch (Win32Exception ex)
            {
                // ffmpeg ran for the availability check but has gone since (uninstalled, path changed).
                VideoRendererLog.FfmpegUnavailable(_logger, _ffmpegPath, ex.Message);
                return ServeFallback(spec.GenerateAudio);
            }
        }
    }

    /// <summary>Deletes the temp folder this instance created (a configured WorkDirectory is left alone).</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing || _ownedTempRoot is null)
        {
            return;
        }

        try
        {
            Directory.Delete(_ownedTempRoot, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was ever rendered.
        }
        catch (IOException)
        {
            // Best effort: a file still open elsewhere keeps the folder; the OS cleans temp eventually.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }

    private RenderedVideo? TryGetCached(RenderPlan plan, string finalPath)
    {
        // Files only ever appear under their final name by an atomic rename, so an existing one is complete.
        var file = new FileInfo(finalPath);
        if (!file.Exists || file.Length == 0)
        {
            return null;
        }

        VideoRendererLog.CacheHit(_logger, finalPath);
        return new RenderedVideo(
            file.FullName, file.Length, plan.Width, plan.Height, plan.DurationSeconds, plan.GenerateAudio, RenderedWithFfmpeg: true);
    }

    private async Task<RenderedVideo> RenderWithFfmpegAsync(RenderPlan plan, string finalPath, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(RenderDirectory);
        var unique = Guid.NewGuid().ToString("N");
        var partialPath = Path.Combine(RenderDirectory, $"seedance-{plan.CacheKey}.{unique}.partial");

        // A relative name (ffmpeg runs in the render folder) keeps odd characters of the folder out of the filter graph.
        var textFileName = $"prompt-{plan.CacheKey}.{unique}.txt";
        var textFilePath = Path.Combine(RenderDirectory, textFileName);

        try
        {
            await FfmpegSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            var stopwatch = Stopwatch.StartNew();
            try
            {
                if (plan.Start is not null)
                {
                    await RunOrThrowAsync(FfmpegArguments.ForImage(plan, partialPath), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var text = PromptText.Layout(plan.Prompt, plan.Width, plan.Height);
                    await File.WriteAllTextAsync(textFilePath, text, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
                    var withText = await RunAsync(FfmpegArguments.ForText(plan, partialPath, textFileName, FontFile), cancellationToken)
                        .ConfigureAwait(false);
                    if (withText.ExitCode != 0)
                    {
                        // The text is decoration: a missing font or a drawtext-less build must not fail the job.
                        VideoRendererLog.DrawTextFailed(_logger, withText.ExitCode, withText.StandardErrorTail);
                        var plain = FfmpegArguments.ForText(plan, partialPath, textFileName: null, fontFile: null);
                        await RunOrThrowAsync(plain, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                FfmpegSlots.Release();
            }

            Interlocked.Increment(ref _ffmpegRenders);
            var output = new FileInfo(partialPath);
            if (!output.Exists || output.Length == 0)
            {
                throw new VideoRenderException("ffmpeg reported success but wrote no video.");
            }

            File.Move(partialPath, finalPath, overwrite: true);
            VideoRendererLog.Rendered(
                _logger, plan.Mode, plan.Width, plan.Height, plan.DurationSeconds, plan.GenerateAudio, stopwatch.ElapsedMilliseconds,
                finalPath, output.Length);
            return new RenderedVideo(
                finalPath, output.Length, plan.Width, plan.Height, plan.DurationSeconds, plan.GenerateAudio, RenderedWithFfmpeg: true);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            VideoRendererLog.RenderCancelled(_logger, plan.CacheKey);
            throw;
        }
        finally
        {
            TryDelete(partialPath);
            TryDelete(textFilePath);
        }
    }

    private async Task<FfmpegResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        VideoRendererLog.RunningFfmpeg(_logger, _ffmpegPath, new CommandLine(arguments));
        try
        {
            return await FfmpegProcess.RunAsync(_ffmpegPath, arguments, RenderDirectory, FfmpegTimeout, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new VideoRenderException(ex.Message, ex);
        }
    }

    private async Task RunOrThrowAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var result = await RunAsync(arguments, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new VideoRenderException(
                $"ffmpeg exited with code {result.ExitCode}.{FfmpegProcess.FormatTail(result.StandardErrorTail)}");
        }
    }

    private RenderedVideo ServeFallback(bool withAudio)
    {
        var path = Path.Combine(AssetsDirectory, withAudio ? FallbackAudioClip : FallbackSilentClip);
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new VideoRenderException($"ffmpeg cannot be run and the fallback clip {path} is missing.");
        }

        VideoRendererLog.FallbackServed(_logger, path, withAudio);
        return new RenderedVideo(
            file.FullName, file.Length, FallbackWidth, FallbackHeight, FallbackDurationSeconds, withAudio, RenderedWithFfmpeg: false);
    }

    /// <summary>Runs <c>ffmpeg -version</c> once; any failure to start or a non-zero exit means "unavailable".</summary>
    private async Task<bool> CheckFfmpegAsync()
    {
        if (string.IsNullOrWhiteSpace(_ffmpegPath))
        {
            VideoRendererLog.FfmpegUnavailable(_logger, _ffmpegPath, "no path configured");
            return false;
        }

        try
        {
            // Not tied to any caller's token: the answer is cached for every later request.
            var result = await FfmpegProcess.RunAsync(
                _ffmpegPath, ["-hide_banner", "-version"], null, TimeSpan.FromSeconds(15), CancellationToken.None).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                VideoRendererLog.FfmpegUnavailable(_logger, _ffmpegPath, $"-version exited with code {result.ExitCode}");
                return false;
            }

            var firstLine = result.StandardOutput.Split('\n', 2)[0].Trim();
            VideoRendererLog.FfmpegFound(_logger, _ffmpegPath, firstLine);
            return true;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or TimeoutException)
        {
            VideoRendererLog.FfmpegUnavailable(_logger, _ffmpegPath, ex.Message);
            return false;
        }
    }

    private static async Task<ImageInput> ReadImageAsync(string path, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 81920, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            var header = new byte[ProbeHeaderBytes];
            var filled = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken)
                .ConfigureAwait(false);
            stream.Position = 0;

            // The cache key covers the image bytes, not its path: downloads of the same URL land in new files.
            var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
            return new ImageInput(Path.GetFullPath(path), ImageProbe.Probe(header.AsSpan(0, filled)), Convert.ToHexStringLower(hash));
        }
    }

    private static string? FindFontFile() => Array.Find(FontFiles, File.Exists);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary file is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }

    private async Task<KeyLease> AcquireKeyLockAsync(string key, CancellationToken cancellationToken)
    {
        KeyLock entry;
        lock (_keyLocksGate)
        {
            if (!_keyLocks.TryGetValue(key, out var existing))
            {
                existing = new KeyLock();
                _keyLocks.Add(key, existing);
            }

            entry = existing;
            entry.Users++;
        }

        try
        {
            await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ReleaseUser(key, entry);
            throw;
        }

        return new KeyLease(this, key, entry);
    }

    // Entries are reference counted so the dictionary does not grow with every distinct spec ever seen.
    private void ReleaseUser(string key, KeyLock entry)
    {
        lock (_keyLocksGate)
        {
            if (--entry.Users == 0)
            {
                _keyLocks.Remove(key);
                entry.Gate.Dispose();
            }
        }
    }

    private sealed class KeyLock
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public int Users { get; set; }
    }

    private readonly struct KeyLease(VideoRenderer owner, string key, KeyLock entry) : IDisposable
    {
        public void Dispose()
        {
            entry.Gate.Release();
            owner.ReleaseUser(key, entry);
        }
    }
}

/// <summary>An input image read for rendering.</summary>
/// <param name="Info">Null when the header could not be parsed; ffmpeg then probes the file itself.</param>
internal sealed record ImageInput(string Path, ImageInfo? Info, string Sha256);

/// <summary>Everything that determines the output file, resolved; equal plans give identical videos.</summary>
internal sealed record RenderPlan(
    string Mode,
    string Prompt,
    int Width,
    int Height,
    int DurationSeconds,
    bool GenerateAudio,
    ImageInput? Start,
    ImageInput? End)
{
    public int FrameCount => DurationSeconds * VideoRenderer.FramesPerSecond;

    /// <summary>Hash of the output-determining inputs (the prompt only matters when it is drawn).</summary>
    public string CacheKey { get; } = ComputeKey(Mode, Prompt, Width, Height, DurationSeconds, GenerateAudio, Start, End);

    private static string ComputeKey(
        string mode, string prompt, int width, int height, int seconds, bool audio, ImageInput? start, ImageInput? end)
    {
        var text = start is null ? mode + "\n" + prompt : string.Empty;
        var material = string.Create(
            CultureInfo.InvariantCulture,
            $"{VideoRenderer.RecipeVersion}|{width}x{height}|{seconds}|{audio}|{start?.Sha256}|{end?.Sha256}|{text}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(material)))[..32];
    }
}
