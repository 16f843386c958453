using Pipeline.Core.Api;
using Pipeline.Core.Jobs;
using Pipeline.LocalHost.Console;

namespace Pipeline.LocalHost.OneShot;

/// <summary>
/// A one-shot run by the serving host already running (<see cref="RunningLocalHost"/>): the job goes through its HTTP
/// API, the run tells of it in the lines the host's console uses, and its video is copied from the job's video URL to
/// where the one-shot's own host would have put it (<see cref="OneShotJob.VideoPath"/>). If that host stops answering
/// for <see cref="Patience"/>, the run ends without a video; the job goes on when a host runs again.
/// </summary>
public sealed partial class ApiDelegation(RunningLocalHost host, ILogger logger)
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>The job's id once it started: an interruption after it leaves the job running in that host.</summary>
    public string? JobId { get; private set; }

    public async Task<OneShotOutcome> RunAsync(ApiRequest request, string videoPath, CancellationToken cancellationToken)
    {
        LogSending(logger, host.BaseAddress);
        var (id, problem) = await host.SubmitAsync(request, cancellationToken);
        if (id is null)
        {
            return OneShotOutcome.Refused(problem!);
        }

        JobId = id;
        string? lastLine = null;
        var silentSince = (DateTimeOffset?)null;
        while (true)
        {
            await Task.Delay(500, cancellationToken);
            VideoJobView? view;
            string silence;
            try
            {
                view = await host.StatusAsync(id, cancellationToken);
                silence = "it no longer knows the job";
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException
                                      && !cancellationToken.IsCancellationRequested)
            {
                (view, silence) = (null, $"it stopped answering: {e.Message}");
            }

            if (view is null)
            {
                silentSince ??= DateTimeOffset.UtcNow;
                if (DateTimeOffset.UtcNow - silentSince > Patience)
                {
                    return OneShotOutcome.Unfinished(id,
                        $"the local host at {host.BaseAddress} stopped telling of it ({silence}); the job goes on when it runs again");
                }

                continue;
            }

            silentSince = null;

            var seconds = (int)(view.UpdatedAt - view.CreatedAt).TotalSeconds;
            if (lastLine is null)
            {
                LogStarted(logger, id, view.Mode, view.Source);
            }

            switch (view.Status)
            {
                case VideoJobStatuses.Succeeded when view.Video is { } video:
                    LogSucceeded(logger, id, seconds, video.Blob);
                    try
                    {
                        await VideoDownload.SaveAsync(video, videoPath, cancellationToken);
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException or UnauthorizedAccessException
                                              && !cancellationToken.IsCancellationRequested)
                    {
                        return OneShotOutcome.Uncopied(id, videoPath, e.Message);
                    }

                    return OneShotOutcome.Video(id, videoPath, Mp4Duration.Read(videoPath), video.SizeBytes);
                case VideoJobStatuses.Succeeded or VideoJobStatuses.Failed or VideoJobStatuses.Cancelled:
                    LogEnded(logger, id, view.Status, seconds, view.Error is { } error ? $"{error.Code}: {error.Message}" : "");
                    return OneShotOutcome.NoVideo(id, view.Status, view.Error);
            }

            var line = JobProgressLine.Of(view.Stage, view.QueuePosition, view.Retrying);
            if (line != lastLine)
            {
                lastLine = line;
                LogProgress(logger, id, line, (int)(DateTimeOffset.UtcNow - view.CreatedAt).TotalSeconds);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "a local host already runs at {BaseAddress}: the job goes to its API")]
    private static partial void LogSending(ILogger logger, Uri baseAddress);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} started ({Mode}, from {Source})")]
    private static partial void LogStarted(ILogger logger, string jobId, Pipeline.Core.Requests.VideoMode mode, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: {Progress}, {Seconds} s")]
    private static partial void LogProgress(ILogger logger, string jobId, string progress, int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: succeeded after {Seconds} s -> {Video}")]
    private static partial void LogSucceeded(ILogger logger, string jobId, int seconds, string video);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: {Outcome} after {Seconds} s: {Reason}")]
    private static partial void LogEnded(ILogger logger, string jobId, string outcome, int seconds, string reason);
}
