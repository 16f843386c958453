using System.Diagnostics;
using FalEmulator.Media;
using FalEmulator.Options;
using Microsoft.Extensions.Logging.Abstractions;

namespace FalEmulator.Tests.Media;

/// <summary>
/// Renders real videos with the installed ffmpeg and checks them with <see cref="Mp4Inspector"/>.
/// Kept to 480p and short durations (one 720p render) so the class runs in seconds on two cores.
/// </summary>
public sealed class VideoRendererTests : IDisposable
{
    private const double DurationTolerance = 0.25;

    private readonly string _workDirectory = Path.Combine(Path.GetTempPath(), "fal-media-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_workDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was rendered.
        }
    }

    [Fact]
    public async Task RenderAsync_ImageToVideo480p_HasRequestedDimensionsAndAudio()
    {
        using var renderer = CreateRenderer();
        var spec = ImageSpec("render-1280x720.jpg") with
        {
            Duration = "4", Resolution = "480p", AspectRatio = "16:9", GenerateAudio = true,
        };

        var video = await renderer.RenderAsync(spec, TestContext.Current.CancellationToken);

        Assert.Equal(
            new RenderedVideo(video.Path, new FileInfo(video.Path).Length, 854, 480, 4, HasAudio: true, RenderedWithFfmpeg: true), video);
        Assert.StartsWith(renderer.RenderDirectory, video.Path, StringComparison.Ordinal);
        AssertMp4(video.Path, 854, 480, 4, hasAudio: true);
    }

    [Fact]
    public async Task RenderAsync_TextToVideo720pPortraitWithoutAudio_HasNoAudioTrack()
    {
        using var renderer = CreateRenderer();
        var spec = TextSpec("A lighthouse on a cliff at dusk, waves crashing below, slow dolly in") with
        {
            Resolution = "720p",
            AspectRatio = "9:16",
            GenerateAudio = false,
        };

        var video = await renderer.RenderAsync(spec, TestContext.Current.CancellationToken);

        Assert.Equal((720, 1280, false), (video.Width, video.Height, video.HasAudio));
        AssertMp4(video.Path, 720, 1280, 4, hasAudio: false);
    }

    [Fact]
    public async Task RenderAsync_AutoAspectFromPortraitImage_UsesNearestPortraitRatio()
    {
        using var renderer = CreateRenderer();

        // 64x96 is 2:3, which lies nearer 3:4 than 9:16.
        var spec = ImageSpec("portrait-64x96.png") with { AspectRatio = "auto", GenerateAudio = false };

        var video = await renderer.RenderAsync(spec, TestContext.Current.CancellationToken);

        Assert.Equal((480, 640), (video.Width, video.Height));
        AssertMp4(video.Path, 480, 640, 4, hasAudio: false);
    }

    [Fact]
    public async Task RenderAsync_AutoDuration_IsFiveSeconds()
    {
        using var renderer = CreateRenderer();
        var spec = TextSpec("auto duration") with { Duration = "auto" };

        var video = await renderer.RenderAsync(spec, TestContext.Current.CancellationToken);

        Assert.Equal(5, video.DurationSeconds);
        AssertMp4(video.Path, 854, 480, 5, hasAudio: false);
    }

    [Theory]
    [InlineData("1:1", 480, 480)]
    [InlineData("21:9", 1120, 480)]
    public async Task RenderAsync_SquareAndUltraWide_HaveExactDimensions(string aspectRatio, int width, int height)
    {
        using var renderer = CreateRenderer();
        var spec = TextSpec("ratio " + aspectRatio) with { AspectRatio = aspectRatio };

        var video = await renderer.RenderAsync(spec, TestContext.Current.CancellationToken);

        Assert.Equal((width, height), (video.Width, video.Height));
        AssertMp4(video.Path, width, height, 4, hasAudio: false);
    }

    [Fact]
    public async Task RenderAsync_StartAndEndImages_CrossfadesWithinTheExactDuration()
    {
        using var renderer = CreateRenderer();
        var spec = ImageSpec("render-1280x720.jpg") with
        {
            EndImagePath = MediaTestFiles.Fixture("landscape-320x180.jpg"),
            GenerateAudio = true,
        };

        var video = await renderer.RenderAsync(spec, TestContext.Current.CancellationToken);

        AssertMp4(video.Path, 854, 480, 4, hasAudio: true);
    }

    [Fact]
    public async Task RenderAsync_SameSpecTwice_ReusesTheFirstRenderWithoutRunningFfmpeg()
    {
        using var renderer = CreateRenderer();
        var spec = ImageSpec("landscape-320x180.jpg") with { GenerateAudio = false };
        var first = await renderer.RenderAsync(spec, TestContext.Current.CancellationToken);
        var writtenAt = File.GetLastWriteTimeUtc(first.Path);

        var stopwatch = Stopwatch.StartNew();
        var second = await renderer.RenderAsync(spec, TestContext.Current.CancellationToken);
        stopwatch.Stop();

        // The same image bytes downloaded to another file must hit the cache too.
        var copy = Path.Combine(_workDirectory, "copy-of-input.bin");
        File.Copy(spec.StartImagePath!, copy);
        var third = await renderer.RenderAsync(spec with { StartImagePath = copy }, TestContext.Current.CancellationToken);

        Assert.Equal(first, second);
        Assert.Equal(first, third);
        Assert.Equal(writtenAt, File.GetLastWriteTimeUtc(first.Path));
        Assert.Equal(1, renderer.FfmpegRenderCount);
        Assert.True(stopwatch.ElapsedMilliseconds < 500, $"cache hit took {stopwatch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task RenderAsync_ChangedSpec_RendersANewFile()
    {
        using var renderer = CreateRenderer();
        var first = await renderer.RenderAsync(TextSpec("one prompt"), TestContext.Current.CancellationToken);

        var second = await renderer.RenderAsync(TextSpec("another prompt"), TestContext.Current.CancellationToken);

        Assert.NotEqual(first.Path, second.Path);
        Assert.Equal(2, renderer.FfmpegRenderCount);
    }

    [Fact]
    public async Task RenderAsync_ConcurrentIdenticalSpecs_RenderOnce()
    {
        using var renderer = CreateRenderer();
        var spec = TextSpec("the same job submitted four times");

        var videos = await Task.WhenAll(
            Enumerable.Range(0, 4).Select(_ => renderer.RenderAsync(spec, TestContext.Current.CancellationToken)));

        Assert.All(videos, v => Assert.Equal(videos[0], v));
        Assert.Equal(1, renderer.FfmpegRenderCount);
        Assert.Empty(Directory.GetFiles(renderer.RenderDirectory, "*.partial"));
        AssertMp4(videos[0].Path, 854, 480, 4, hasAudio: false);
    }

    [Fact]
    public async Task RenderAsync_PromptWithFilterSyntaxAndExpansionMarkers_DrawsTextWithoutFailing()
    {
        // Run the text recipe directly: through the renderer a drawtext failure would be hidden by its no-text retry.
        using var renderer = CreateRenderer();
        Directory.CreateDirectory(renderer.RenderDirectory);
        var prompt = PromptText.Normalize("it's 100% {fun}: a, b; [c] %{pts} %{eif:1:d} \\ \"quoted\" caf\u00e9 \U0001F600\nnext line");
        File.WriteAllText(Path.Combine(renderer.RenderDirectory, "prompt.txt"), PromptText.Layout(prompt, 854, 480));
        var plan = new RenderPlan("text-to-video", prompt, 854, 480, 4, GenerateAudio: false, Start: null, End: null);
        var output = Path.Combine(renderer.RenderDirectory, "special.mp4");

        var result = await FfmpegProcess.RunAsync(
            "ffmpeg",
            FfmpegArguments.ForText(plan, output, "prompt.txt", renderer.FontFile),
            renderer.RenderDirectory,
            TimeSpan.FromMinutes(1),
            TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, result.StandardErrorTail);
        AssertMp4(output, 854, 480, 4, hasAudio: false);
    }

    [Fact]
    public async Task RenderAsync_DrawtextFails_FallsBackToAPlainBackground()
    {
        using var renderer = CreateRenderer();
        renderer.FontFile = "/nonexistent/font.ttf";

        var video = await renderer.RenderAsync(TextSpec("text that cannot be drawn"), TestContext.Current.CancellationToken);

        Assert.True(video.RenderedWithFfmpeg);
        AssertMp4(video.Path, 854, 480, 4, hasAudio: false);
    }

    [Theory]
    [InlineData("/nonexistent/ffmpeg", true)]
    [InlineData("/nonexistent/ffmpeg", false)]
    [InlineData("not-an-image.txt", true)] // exists but is not executable
    public async Task RenderAsync_FfmpegUnavailable_ServesCommittedFallbackClip(string ffmpegPath, bool generateAudio)
    {
        var path = ffmpegPath.StartsWith('/') ? ffmpegPath : MediaTestFiles.Fixture(ffmpegPath);
        using var renderer = CreateRenderer(path);
        var spec = TextSpec("no ffmpeg here") with
        {
            Resolution = "720p", AspectRatio = "9:16", Duration = "12", GenerateAudio = generateAudio,
        };

        var video = await renderer.RenderAsync(spec, TestContext.Current.CancellationToken);

        var clip = MediaTestFiles.Asset(generateAudio ? VideoRenderer.FallbackAudioClip : VideoRenderer.FallbackSilentClip);
        Assert.Equal(new RenderedVideo(clip, new FileInfo(clip).Length, 854, 480, 5, generateAudio, RenderedWithFfmpeg: false), video);
        Assert.Equal(0, renderer.FfmpegRenderCount);
        AssertMp4(video.Path, 854, 480, 5, generateAudio);
    }

    [Fact]
    public async Task RenderAsync_Cancelled_KillsFfmpegAndThrows()
    {
        using var renderer = CreateRenderer();

        // 15 s at 480p takes several seconds to encode, so the render is certainly still running when cancelled.
        var spec = ImageSpec("render-1280x720.jpg") with { Duration = "15", GenerateAudio = true };
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var render = renderer.RenderAsync(spec, cancellation.Token);

        // Cancel once ffmpeg is really running (seen in /proc on Linux), so the kill path is what gets tested.
        var deadline = Stopwatch.StartNew();
        while (!render.IsCompleted && FfmpegProcessesUsing(renderer.RenderDirectory).Count == 0
               && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.False(render.IsCompleted, "the render finished before it could be cancelled");
        var cancelledAt = Stopwatch.StartNew();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => render);
        Assert.True(cancelledAt.Elapsed < TimeSpan.FromSeconds(5), $"cancellation took {cancelledAt.Elapsed}");
        Assert.Empty(FfmpegProcessesUsing(renderer.RenderDirectory));
        Assert.Empty(Directory.GetFiles(renderer.RenderDirectory));

        // The renderer is still usable afterwards and the cancelled spec renders normally.
        var video = await renderer.RenderAsync(spec with { Duration = "4" }, TestContext.Current.CancellationToken);
        Assert.True(File.Exists(video.Path));
    }

    [Fact]
    public async Task RenderAsync_FfmpegTooSlow_KillsItAndThrowsVideoRenderException()
    {
        using var renderer = CreateRenderer();
        renderer.FfmpegTimeout = TimeSpan.FromMilliseconds(150);
        var spec = ImageSpec("render-1280x720.jpg") with { Duration = "15" };

        var error = await Assert.ThrowsAsync<VideoRenderException>(() => renderer.RenderAsync(spec, TestContext.Current.CancellationToken));

        Assert.IsType<TimeoutException>(error.InnerException);
        Assert.Empty(FfmpegProcessesUsing(renderer.RenderDirectory));
        Assert.Empty(Directory.GetFiles(renderer.RenderDirectory));
    }

    [Fact]
    public async Task RenderAsync_UndecodableImage_ThrowsVideoRenderExceptionWithFfmpegOutput()
    {
        using var renderer = CreateRenderer();

        // Valid PNG magic and header, then garbage: the probe succeeds, decoding does not.
        var broken = Path.Combine(_workDirectory, "broken.png");
        Directory.CreateDirectory(_workDirectory);
        var header = File.ReadAllBytes(MediaTestFiles.Fixture("portrait-64x96.png")).AsSpan(0, 33).ToArray();
        File.WriteAllBytes(broken, [.. header, .. new byte[200]]);

        var error = await Assert.ThrowsAsync<VideoRenderException>(() =>
            renderer.RenderAsync(ImageSpec("portrait-64x96.png") with { StartImagePath = broken }, TestContext.Current.CancellationToken));

        Assert.Contains("ffmpeg", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(renderer.RenderDirectory, "*.partial"));
    }

    [Fact]
    public async Task RenderAsync_WithoutWorkDirectory_UsesAPrivateTempFolderThatDisposeRemoves()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new FalEmulatorOptions { WorkDirectory = "" });
        string renderDirectory;
        using (var renderer = new VideoRenderer(options, NullLogger<VideoRenderer>.Instance))
        {
            using var other = new VideoRenderer(options, NullLogger<VideoRenderer>.Instance);
            renderDirectory = renderer.RenderDirectory;
            Assert.StartsWith(Path.GetTempPath(), renderDirectory, StringComparison.Ordinal);
            Assert.NotEqual(renderDirectory, other.RenderDirectory);

            var video = await renderer.RenderAsync(TextSpec("temp folder"), TestContext.Current.CancellationToken);
            Assert.StartsWith(renderDirectory, video.Path, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(Path.GetDirectoryName(renderDirectory)));
    }

    [Theory]
    [InlineData("3", "480p", "16:9")]
    [InlineData("4", "1080p", "16:9")]
    [InlineData("4", "480p", "2:1")]
    public async Task RenderAsync_InvalidEnum_ThrowsWithoutRendering(string duration, string resolution, string aspectRatio)
    {
        using var renderer = CreateRenderer();
        var spec = TextSpec("invalid") with { Duration = duration, Resolution = resolution, AspectRatio = aspectRatio };

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => renderer.RenderAsync(spec, TestContext.Current.CancellationToken));
        Assert.Equal(0, renderer.FfmpegRenderCount);
    }

    private VideoRenderer CreateRenderer(string ffmpegPath = "ffmpeg")
    {
        var options = Microsoft.Extensions.Options.Options.Create(
            new FalEmulatorOptions { FfmpegPath = ffmpegPath, WorkDirectory = _workDirectory });
        return new VideoRenderer(options, NullLogger<VideoRenderer>.Instance);
    }

    private static RenderSpec TextSpec(string prompt) =>
        new("text-to-video", prompt, Duration: "4", Resolution: "480p", AspectRatio: "16:9", GenerateAudio: false,
            StartImagePath: null, EndImagePath: null);

    private static RenderSpec ImageSpec(string fixture) =>
        new("image-to-video", "a slow zoom", Duration: "4", Resolution: "480p", AspectRatio: "auto", GenerateAudio: true,
            MediaTestFiles.Fixture(fixture), EndImagePath: null);

    private static void AssertMp4(string path, int width, int height, int seconds, bool hasAudio)
    {
        var mp4 = Mp4Inspector.Load(path);

        Assert.Equal("ftyp", mp4.TopLevelTypes[0]);
        Assert.Contains("moov", mp4.TopLevelTypes);
        Assert.True(mp4.TopLevelTypes.IndexOf("moov") < mp4.TopLevelTypes.IndexOf("mdat"),
            "moov must precede mdat (faststart): " + string.Join(',', mp4.TopLevelTypes));
        Assert.InRange(mp4.MovieDurationSeconds, seconds - DurationTolerance, seconds + DurationTolerance);

        var video = Assert.Single(mp4.VideoTracks);
        Assert.Equal((width, height), ((int)video.Width, (int)video.Height));
        Assert.InRange(video.MediaDurationSeconds, seconds - DurationTolerance, seconds + DurationTolerance);

        if (hasAudio)
        {
            var audio = Assert.Single(mp4.AudioTracks);
            Assert.InRange(audio.MediaDurationSeconds, seconds - DurationTolerance, seconds + DurationTolerance);
        }
        else
        {
            Assert.Empty(mp4.AudioTracks);
        }

        Assert.Equal(hasAudio ? 2 : 1, mp4.Tracks.Count);
    }

    /// <summary>Ids of running processes whose command line mentions <paramref name="directory"/> (Linux only; empty elsewhere).</summary>
    private static List<int> FfmpegProcessesUsing(string directory)
    {
        var found = new List<int>();
        if (!OperatingSystem.IsLinux())
        {
            return found;
        }

        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid))
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(entry, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains("ffmpeg", StringComparison.Ordinal) && commandLine.Contains(directory, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }

        return found;
    }
}
