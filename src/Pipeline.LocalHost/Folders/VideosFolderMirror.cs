using Microsoft.Extensions.Options;
using Pipeline.Core.Storage;

namespace Pipeline.LocalHost.Folders;

/// <summary>Copies every finished video and error marker from the videos container into the local <c>videos/</c> folder.</summary>
public sealed partial class VideosFolderMirror(PipelineStorage storage, IOptions<LocalHostOptions> options, ILogger<VideosFolderMirror> logger)
    : Housekeeping.ResilientLoop(logger)
{
    private readonly Dictionary<string, string> _mirrored = [];

    protected override string What => "Mirroring videos/";

    protected override TimeSpan Interval => options.Value.ScanInterval;

    protected override async Task RunOnceAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        Directory.CreateDirectory(o.VideosFolder);
        await foreach (var blob in storage.Videos.GetBlobsAsync(cancellationToken: stoppingToken))
        {
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

            var local = new FileInfo(target);
            if (!(local.Exists && local.Length == blob.Properties.ContentLength && local.LastWriteTimeUtc >= blob.Properties.LastModified))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                var partial = target + ".partial";
                await storage.Videos.GetBlobClient(blob.Name).DownloadToAsync(partial, stoppingToken);
                File.Move(partial, target, overwrite: true);
                var shown = Path.GetRelativePath(o.HomeFolder, target);
                LogMirrored(shown);
            }

            _mirrored[blob.Name] = etag;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ready: {Path}")]
    private partial void LogMirrored(string path);
}
