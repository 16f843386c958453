using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using Pipeline.Core.Storage;

namespace Pipeline.LocalHost.Folders;

/// <summary>
/// Copies every finished video and error marker from the videos container into the local <c>videos/</c> folder. A blob
/// that cannot be written — its place taken by an earlier blob (<see cref="LocalNameClaims"/>), or refused by the disk —
/// is reported once and skipped; every other blob goes on being mirrored.
/// </summary>
public sealed partial class VideosFolderMirror(
    PipelineStorage storage, IOptions<LocalHostOptions> options, ILogger<VideosFolderMirror> logger)
    : Housekeeping.ResilientLoop(logger)
{
    private readonly Dictionary<string, string> _mirrored = [];
    private readonly HashSet<(string Blob, string Holder)> _clashes = [];
    private readonly HashSet<string> _failing = [];

    protected override string What => "Mirroring videos/";

    protected override TimeSpan Interval => options.Value.ScanInterval;

    protected override async Task RunOnceAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        Directory.CreateDirectory(o.VideosFolder);
        var claims = new LocalNameClaims();
        await foreach (var blob in storage.Videos.GetBlobsAsync(cancellationToken: stoppingToken))
        {
            if (claims.Claim(blob.Name) is { } clash)
            {
                if (_clashes.Add((blob.Name, clash.Holder)))
                {
                    LogClash(blob.Name, clash.Reason);
                }

                continue;
            }

            var etag = blob.Properties.ETag?.ToString() ?? "";
            if (_mirrored.TryGetValue(blob.Name, out var done) && done == etag)
            {
                continue;
            }

            var target = Path.GetFullPath(Path.Combine(o.VideosFolder, blob.Name.Replace('/', Path.DirectorySeparatorChar)));
            if (!target.StartsWith(Path.GetFullPath(o.VideosFolder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                continue; // a name that would leave videos/ (the pipeline writes none) is never mirrored
            }

            try
            {
                await MirrorAsync(o, blob, target, stoppingToken);
                _mirrored[blob.Name] = etag;
                _failing.Remove(blob.Name);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (_failing.Add(blob.Name))
                {
                    var shown = Path.GetRelativePath(o.HomeFolder, target);
                    LogFailed(blob.Name, shown, e.Message); // tried again at every scan, quietly
                }
            }
        }
    }

    private async Task MirrorAsync(LocalHostOptions o, BlobItem blob, string target, CancellationToken cancellationToken)
    {
        var local = new FileInfo(target);
        if (local.Exists && local.Length == blob.Properties.ContentLength && local.LastWriteTimeUtc >= blob.Properties.LastModified)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var partial = target + ".partial";
        try
        {
            await storage.Videos.GetBlobClient(blob.Name).DownloadToAsync(partial, cancellationToken);
            File.Move(partial, target, overwrite: true);
        }
        finally
        {
            File.Delete(partial); // nothing when it was moved; a half-written copy when the download or the move failed
        }

        var shown = Path.GetRelativePath(o.HomeFolder, target);
        LogMirrored(shown);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ready: {Path}")]
    private partial void LogMirrored(string path);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "videos/{Blob} is not mirrored: {Reason}; rename one of them (the other videos go on)")]
    private partial void LogClash(string blob, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "videos/{Blob} could not be written to {Path} ({Reason}); trying again at every scan (the other videos go on)")]
    private partial void LogFailed(string blob, string path, string reason);
}
