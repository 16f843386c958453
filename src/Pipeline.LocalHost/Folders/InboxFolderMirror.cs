using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using Pipeline.Core.Storage;
using Pipeline.Core.Inbox;

namespace Pipeline.LocalHost.Folders;

/// <summary>
/// Mirrors the local <c>inbox/</c> folder into the inbox container: a file is uploaded once it has stopped changing,
/// sidecar <c>.json</c> files before images. A file whose blob already holds the same bytes is not uploaded again (a
/// restart must not make a new blob version, which would be a new job), nor is one whose video or error marker is
/// already in <c>videos/</c> and newer than it. A file whose name the pipeline refuses (<see cref="InboxNames"/>: a
/// backslash, control characters, invalid UTF-8) is not uploaded — its name could mean another place — and is logged
/// once; one file that fails, or one folder that cannot be read (<see cref="FolderListing"/>), is logged once and never
/// stops the others.
/// </summary>
public sealed partial class InboxFolderMirror(
    PipelineStorage storage, IOptions<LocalHostOptions> options, ILogger<InboxFolderMirror> logger)
    : Housekeeping.ResilientLoop(logger)
{
    private readonly Dictionary<string, (long Length, DateTime WrittenAt)> _lastSeen = [];
    private readonly Dictionary<string, (long Length, DateTime WrittenAt)> _mirrored = [];
    private readonly HashSet<string> _refused = [];
    private readonly HashSet<string> _failing = [];
    private readonly HashSet<string> _unreadable = [];

    protected override string What => "Mirroring inbox/";

    protected override TimeSpan Interval => options.Value.ScanInterval;

    protected override Task RunOnceAsync(CancellationToken stoppingToken)
    {
        Directory.CreateDirectory(options.Value.InboxFolder);
        return ScanAsync(options.Value, stoppingToken);
    }

    private async Task ScanAsync(LocalHostOptions o, CancellationToken cancellationToken)
    {
        // Only the platform's own separator is a folder: on Linux a backslash is part of a file's name (and refused).
        var listing = FolderListing.Of(o.InboxFolder);
        ReportUnreadable(o, listing.Unreadable);
        var files = listing.Files
            .Select(path => (Path: path, Name: Path.GetRelativePath(o.InboxFolder, path).Replace(Path.DirectorySeparatorChar, '/')))
            .Where(f => Accepted(f.Name))
            .OrderBy(f => InboxPresets.IsPreset(f.Name) ? 0 : InboxReader.IsSidecar(f.Name) ? 1 : 2) // presets, then sidecars, first
            .ThenBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        foreach (var (path, name) in files)
        {
            try
            {
                await MirrorAsync(o, path, name, cancellationToken);
                _failing.Remove(name);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (_failing.Add(name))
                {
                    LogFileFailed(name, e.Message); // the next scans try it again, quietly; the others go on
                }
            }
        }
    }

    private async Task MirrorAsync(LocalHostOptions o, string path, string name, CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return; // gone since the listing (moved away, or a link to nothing)
        }

        var state = (info.Length, info.LastWriteTimeUtc);
        var stable = _lastSeen.TryGetValue(name, out var before) && before == state;
        _lastSeen[name] = state;
        if (!stable || (_mirrored.TryGetValue(name, out var done) && done == state))
        {
            return; // still being written, or already mirrored
        }

        if (!InboxReader.IsSidecar(name) && HasNewerOutput(o, name, info.LastWriteTimeUtc))
        {
            _mirrored[name] = state;
            return;
        }

        await UploadIfChangedAsync(path, name, cancellationToken);
        _mirrored[name] = state;
    }

    /// <summary>Says once of each folder that it cannot be read (and again if it is readable for a while and then not).</summary>
    private void ReportUnreadable(LocalHostOptions o, Dictionary<string, string> unreadable)
    {
        _unreadable.IntersectWith(unreadable.Keys);
        foreach (var (folder, reason) in unreadable)
        {
            if (_unreadable.Add(folder))
            {
                var shown = Path.GetRelativePath(o.HomeFolder, folder);
                LogFolderUnreadable(shown, reason);
            }
        }
    }

    private bool Accepted(string name)
    {
        if (InboxNames.Problem(name) is not { } problem)
        {
            return true;
        }

        if (_refused.Add(name))
        {
            LogRefused(name, problem);
        }

        return false;
    }

    private static bool HasNewerOutput(LocalHostOptions o, string name, DateTime inputWrittenAt)
    {
        var video = new FileInfo(Path.Combine(o.VideosFolder, InboxReader.OutputBlobFor(name)));
        var marker = new FileInfo(Path.Combine(o.VideosFolder, VideoStore.ErrorMarkerName(InboxReader.OutputBlobFor(name))));
        return (video.Exists && video.LastWriteTimeUtc >= inputWrittenAt) || (marker.Exists && marker.LastWriteTimeUtc >= inputWrittenAt);
    }

    private async Task UploadIfChangedAsync(string path, string name, CancellationToken cancellationToken)
    {
        var blob = storage.Inbox.GetBlobClient(name);
        byte[] md5;
        await using (var file = File.OpenRead(path))
        {
#pragma warning disable CA5351 // Content-MD5 is storage's integrity check, not a security measure
            md5 = await MD5.HashDataAsync(file, cancellationToken);
#pragma warning restore CA5351
        }

        try
        {
            var existing = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            if (existing.ContentHash is { } hash && hash.AsSpan().SequenceEqual(md5))
            {
                return; // the same bytes are there: its job exists already
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }

        await using (var file = File.OpenRead(path))
        {
            await blob.UploadAsync(file, new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = FalInputResolver.ContentTypeOf(name), ContentHash = md5 },
            }, cancellationToken);
        }

        LogUploaded(name);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "inbox/{Name} uploaded")]
    private partial void LogUploaded(string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "inbox/{Name} is not uploaded: {Reason}; rename it")]
    private partial void LogRefused(string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "inbox/{Name} could not be uploaded ({Reason}); trying again")]
    private partial void LogFileFailed(string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "{Folder} cannot be read ({Reason}): its files are not uploaded until it can; the other folders go on")]
    private partial void LogFolderUnreadable(string folder, string reason);
}
