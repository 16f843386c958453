using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Core.Storage;
using Pipeline.IntegrationTests.Support;
using Pipeline.LocalHost;
using Pipeline.LocalHost.Folders;

namespace Pipeline.IntegrationTests.LocalHost;

/// <summary>
/// The folder mirrors never stall: one entry that cannot be mirrored is reported once and skipped, and everything else
/// keeps flowing. A blob both a file and a folder, two blobs one file on a case-insensitive disk, a folder of the inbox
/// that cannot be read.
/// </summary>
public sealed class FolderMirrorTests() : OwnAzuriteAndHome("pipeline-mirror-")
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>
    /// Drops <c>a.jpg</c> and <c>a.mp4/b.jpg</c> make the videos <c>a.mp4</c> and <c>a.mp4/b.mp4</c>: a file and a
    /// folder of one name. The second threw from the middle of every pass, and no video listed after it ever arrived.
    /// </summary>
    [Fact]
    public async Task VideosMirror_AFileAndAFolderOfOneName_ReportsTheSecondOnce_AndMirrorsEveryVideoAfterIt()
    {
        await UploadVideosAsync("a.mp4", "a.mp4/b.mp4", "b.mp4", "z/c.mp4");

        var logs = await MirrorVideosUntilAsync("b.mp4", "z/c.mp4");

        Assert.Equal("a.mp4", await File.ReadAllTextAsync(Path.Combine(Home, "videos", "a.mp4"), Token));
        var report = Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal));
        Assert.Contains("videos/a.mp4/b.mp4 is not mirrored", report, StringComparison.Ordinal);
        Assert.Contains("is the file a.mp4", report, StringComparison.Ordinal); // both names
    }

    /// <summary>
    /// <c>Trip/a.mp4</c> and <c>trip/a.mp4</c> are one file on a case-insensitive disk (macOS, Windows): the first is
    /// mirrored and the second reported, on every disk, rather than one overwriting the other at every change.
    /// </summary>
    [Fact]
    public async Task VideosMirror_TwoNamesThatDifferOnlyInCase_MirrorsTheFirst_AndReportsTheSecondOnceWithBoth()
    {
        await UploadVideosAsync("Trip/a.mp4", "trip/a.mp4", "zz.mp4");

        var logs = await MirrorVideosUntilAsync("Trip/a.mp4", "zz.mp4");

        Assert.Equal("Trip/a.mp4", await File.ReadAllTextAsync(Path.Combine(Home, "videos", "Trip", "a.mp4"), Token));
        Assert.False(File.Exists(Path.Combine(Home, "videos", "trip", "a.mp4")), "the second of the two names was mirrored too");
        var report = Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal));
        Assert.Contains("videos/trip/a.mp4 is not mirrored: it and Trip/a.mp4 are one file", report, StringComparison.Ordinal);
    }

    /// <summary>
    /// One folder of <c>inbox/</c> that cannot be read (<c>chmod 000</c>) made the recursive listing throw, and no file
    /// was uploaded any more, from any folder.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes: the local host runs on Linux and macOS
    public async Task InboxMirror_AFolderThatCannotBeRead_IsReportedOnce_AndEveryOtherFileIsUploaded()
    {
        var locked = Path.Combine(Home, "inbox", "locked");
        Directory.CreateDirectory(locked);
        Directory.CreateDirectory(Path.Combine(Home, "inbox", "trip"));
        await File.WriteAllTextAsync(Path.Combine(locked, "hidden.txt"), "hidden", Token);
        await File.WriteAllTextAsync(Path.Combine(Home, "inbox", "trip", "notes.txt"), "notes", Token); // .txt: uploaded, starts no job
        await File.WriteAllTextAsync(Path.Combine(Home, "inbox", "readme.txt"), "readme", Token);
        File.SetUnixFileMode(locked, UnixFileMode.None);
        try
        {
            var port = LocalHostProcess.FreePort();
            await using var host = await LocalHostProcess.StartProgramAsync(Home, port, Azurite.ConnectionString,
                LocalHostProcess.TestArguments(port, "t" + Guid.NewGuid().ToString("N")[..10]), boundByFileModes: true);

            var inbox = new PipelineStorage(Azurite.BlobServiceClient).Inbox;
            async Task<bool> BothUploaded() =>
                await inbox.GetBlobClient("trip/notes.txt").ExistsAsync(Token)
                && await inbox.GetBlobClient("readme.txt").ExistsAsync(Token);
            await WaitUntilAsync(BothUploaded, () => host.Output);
            await Task.Delay(TimeSpan.FromSeconds(2), Token); // four more scans, which must not say it again

            Assert.Single(host.Output.Split('\n'), l => l.Contains("inbox/locked cannot be read", StringComparison.Ordinal));
            Assert.DoesNotContain("Mirroring inbox/ failed", host.Output, StringComparison.Ordinal);
        }
        finally
        {
            // So that the home can be deleted.
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>Blobs in the videos container, each holding its own name.</summary>
    private async Task UploadVideosAsync(params string[] names)
    {
        var storage = new PipelineStorage(Azurite.BlobServiceClient);
        await storage.EnsureContainersAsync(Token);
        foreach (var name in names)
        {
            await storage.Videos.GetBlobClient(name).UploadAsync(BinaryData.FromString(name), Token);
        }
    }

    /// <summary>Runs the videos mirror until the files arrive, then for a few more passes; returns what it logged.</summary>
    private async Task<CapturingLoggerProvider> MirrorVideosUntilAsync(params string[] names)
    {
        var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        var options = Options.Create(new LocalHostOptions { Home = Home, ScanInterval = TimeSpan.FromMilliseconds(100) });
        var storage = new PipelineStorage(Azurite.BlobServiceClient);
        using var mirror = new VideosFolderMirror(storage, options, loggers.CreateLogger<VideosFolderMirror>());
        await mirror.StartAsync(Token);
        try
        {
            await WaitUntilAsync(
                () => Task.FromResult(names.All(n => File.Exists(Path.Combine(Home, "videos", n)))), () => string.Join('\n', logs.Lines));
            await Task.Delay(TimeSpan.FromSeconds(1), Token); // ten more passes, which must not report again
        }
        finally
        {
            await mirror.StopAsync(CancellationToken.None);
        }

        return logs;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> output)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException("not within 60 s; the log:\n" + output());
            }

            await Task.Delay(100, Token);
        }
    }
}
