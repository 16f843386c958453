using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Api;
using Pipeline.Core.Jobs;
using Pipeline.Core.Storage;
using Pipeline.Core.Inbox;

namespace Pipeline.LocalHost.OneShot;

/// <summary>
/// A one-shot run by this process's own host: the image (with its sidecar, or its prompt as blob metadata) or a
/// text-to-video request goes into the inbox as <see cref="OneShotJob.DropName"/>, as a person's drop would, and the
/// run waits for the job's end and for its video in <c>videos/</c>.
/// </summary>
public sealed partial class InboxDrop(OneShotJob job, IServiceProvider services, ILogger logger)
{
    /// <summary>The job's id once it started: an interruption or a failure after it leaves a job running.</summary>
    public string? JobId { get; private set; }

    public async Task<OneShotOutcome> RunAsync(DateTime now, CancellationToken cancellationToken)
    {
        var name = job.DropName(now);
        JobId = await DropAsync(name, cancellationToken);
        if (JobId is null)
        {
            return OneShotOutcome.Refused($"{name} starts no job: the inbox refuses its name (the log says why)");
        }

        var client = services.GetRequiredService<DurableTaskClient>();
        var videos = services.GetRequiredService<VideoJobService>();
        var failing = false;
        while (true)
        {
            await Task.Delay(500, cancellationToken);
            VideoJobView? view;
            try
            {
                view = await videos.GetAsync(client, JobId, cancellationToken);
                failing = false;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (!failing)
                {
                    LogReadFailed(logger, JobId, e.Message); // storage or the engine for a moment: the job goes on, so does the wait
                }

                failing = true;
                continue;
            }

            if (view?.Status is VideoJobStatuses.Succeeded)
            {
                var path = await MirroredAsync(view.Video!, cancellationToken);
                return OneShotOutcome.Video(JobId, path, Mp4Duration.Read(path), view.Video!.SizeBytes);
            }

            if (view?.Status is VideoJobStatuses.Failed or VideoJobStatuses.Cancelled)
            {
                return OneShotOutcome.NoVideo(JobId, view.Status, view.Error);
            }
        }
    }

    /// <summary>Puts the drop into the inbox, as a person's drop would arrive, and starts its job.</summary>
    private async Task<string?> DropAsync(string name, CancellationToken cancellationToken)
    {
        var storage = services.GetRequiredService<PipelineStorage>();
        if (job.ImagePath is null)
        {
            var request = BinaryData.FromObjectAsJson(new { mode = "text-to-video", prompt = job.Prompt });
            await storage.Inbox.GetBlobClient(name).UploadAsync(request, cancellationToken);
        }
        else
        {
            if (job.SidecarPath is not null)
            {
                var sidecarName = name[..^Path.GetExtension(name).Length] + ".json";
                await storage.Inbox.GetBlobClient(sidecarName).UploadAsync(job.SidecarPath, cancellationToken);
            }

            await storage.Inbox.GetBlobClient(name).UploadAsync(job.ImagePath, new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = FalInputResolver.ContentTypeOf(name) },
                // The prompt as metadata rather than a sidecar: a sidecar's own job would end superseded beside the image's.
                Metadata = job.Prompt is null ? null : new Dictionary<string, string> { ["prompt"] = Uri.EscapeDataString(job.Prompt) },
            }, cancellationToken);
        }

        return await services.GetRequiredService<InboxJobStarter>().StartAsync(services.GetRequiredService<DurableTaskClient>(),
            PipelineStorage.InboxContainerName, name, cancellationToken);
    }

    /// <summary>Waits for the videos folder mirror to have written the video whole, and returns its path.</summary>
    private async Task<string> MirroredAsync(StoredVideo video, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<LocalHostOptions>>().Value;
        var path = Path.Combine(options.VideosFolder, video.Blob[(video.Blob.IndexOf('/', StringComparison.Ordinal) + 1)..]);
        while (!(File.Exists(path) && new FileInfo(path).Length == video.SizeBytes))
        {
            await Task.Delay(200, cancellationToken);
        }

        return path;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId} cannot be read now ({Reason}); waiting for it all the same")]
    private static partial void LogReadFailed(ILogger logger, string jobId, string reason);
}
