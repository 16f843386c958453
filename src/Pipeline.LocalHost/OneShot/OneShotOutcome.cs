using System.Globalization;
using Pipeline.Core.Jobs;

namespace Pipeline.LocalHost.OneShot;

/// <summary>
/// How a one-shot run ended: the line it prints last on stdout (after the log) and its exit code: 0 with a video; 1 for
/// a job that started and gave none (it failed or was cancelled, or the host running it stopped first); 2 when no job
/// started (bad arguments, a missing or unreadable file, a refused request, a host that could not start); 130 when
/// interrupted.
/// </summary>
public sealed record OneShotOutcome(int ExitCode, string Line)
{
    public static readonly OneShotOutcome Interrupted = new(130, "no video: interrupted");

    /// <example><c>video: /home/me/videos/oneshot/20261202-101500-harbour.mp4 (5.0 s, 1.24 MB; job inbox-3f2a… succeeded)</c></example>
    public static OneShotOutcome Video(string jobId, string path, double? seconds, long bytes) =>
        new(0, string.Create(CultureInfo.InvariantCulture,
            $"video: {path} ({(seconds is { } s ? $"{s:0.0}" : "?")} s, {bytes / 1_000_000.0:0.00} MB; job {jobId} succeeded)"));

    /// <example><c>no video: job inbox-3f2a… failed: fal_error: the model failed</c></example>
    public static OneShotOutcome NoVideo(string jobId, string status, JobError? error) =>
        new(1, $"no video: job {jobId} {status}: {error?.Code ?? "unknown"}: {error?.Message ?? "no reason given"}");

    /// <example><c>no video: job api-3f2a… unfinished: the local host at http://localhost:7071/ stopped telling of it (…)</c></example>
    public static OneShotOutcome Unfinished(string jobId, string reason) => new(1, $"no video: job {jobId} unfinished: {reason}");

    /// <example><c>no video: job api-3f2a… succeeded, but its video could not be copied to /home/me/videos/oneshot/…: …</c></example>
    public static OneShotOutcome Uncopied(string jobId, string path, string reason) =>
        new(1, $"no video: job {jobId} succeeded, but its video could not be copied to {path}: {reason}");

    /// <example><c>no video: no such file: photo.jpg</c></example>
    public static OneShotOutcome Refused(string reason) => new(2, $"no video: {reason}");
}
