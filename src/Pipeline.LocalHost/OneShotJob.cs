using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Api;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.LocalHost;

/// <summary>
/// <c>run.sh photo.jpg [--prompt "…"] [--sidecar photo.json]</c> or <c>run.sh --prompt "…"</c>: one job, its progress,
/// where the video is, and exit code 0 on success (non-zero, with the reason, otherwise).
/// </summary>
public sealed record OneShotJob(string? ImagePath, string? Prompt, string? SidecarPath)
{
    private static readonly string[] Flags = ["--prompt", "--sidecar"];

    /// <summary>Splits the one-shot arguments from the host's (<c>--LocalHost:Port 7071</c> and the like).</summary>
    public static (OneShotJob? Job, string[] HostArgs) Parse(string[] args)
    {
        string? image = null, prompt = null, sidecar = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--prompt" when i + 1 < args.Length:
                    prompt = args[++i];
                    break;
                case "--sidecar" when i + 1 < args.Length:
                    sidecar = args[++i];
                    break;
                case var a when !a.StartsWith('-') && image is null && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal) || Flags.Contains(args[i - 1])):
                    image = a;
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }

        return (image is null && prompt is null ? null : new OneShotJob(image, prompt, sidecar), [.. rest]);
    }

    public async Task<int> RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var client = services.GetRequiredService<DurableTaskClient>();
        var videos = services.GetRequiredService<VideoJobService>();
        var options = services.GetRequiredService<IOptions<LocalHostOptions>>().Value;
        var output = System.Console.Out;
        string? id;
        if (ImagePath is not null)
        {
            if (!File.Exists(ImagePath))
            {
                await output.WriteLineAsync($"No such file: {ImagePath}");
                return 2;
            }

            id = await DropAsync(services, cancellationToken);
        }
        else
        {
            var submitted = await videos.SubmitAsync(client, VideoMode.TextToVideo, new JsonObject { ["prompt"] = Prompt }, null, cancellationToken);
            if (submitted.Errors is { Count: > 0 } errors)
            {
                await output.WriteLineAsync($"Invalid request: {errors.Describe()}");
                return 2;
            }

            id = submitted.Id;
        }

        if (id is null)
        {
            await output.WriteLineAsync("The file starts no job (only .jpg, .jpeg, .png and .webp images)");
            return 2;
        }

        await output.WriteLineAsync($"job {id} started");
        while (true)
        {
            await Task.Delay(500, cancellationToken);
            var job = await videos.GetAsync(client, id, cancellationToken);
            if (job?.Status is VideoJobStatuses.Succeeded)
            {
                var target = Path.Combine(options.VideosFolder, job.Video!.Blob[(job.Video.Blob.IndexOf('/', StringComparison.Ordinal) + 1)..]);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                var storage = services.GetRequiredService<PipelineStorage>();
                await storage.Videos.GetBlobClient(Path.GetRelativePath(options.VideosFolder, target).Replace('\\', '/')).DownloadToAsync(target, cancellationToken);
                await output.WriteLineAsync($"video: {target}");
                return 0;
            }

            if (job?.Status is VideoJobStatuses.Failed or VideoJobStatuses.Cancelled)
            {
                await output.WriteLineAsync($"job {id} {job.Status}: {job.Error?.Code} {job.Error?.Message}");
                return 1;
            }
        }
    }

    /// <summary>Puts the image (and its sidecar or prompt) into the inbox, as a drop would, and starts its job.</summary>
    private async Task<string?> DropAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var storage = services.GetRequiredService<PipelineStorage>();
        var name = $"oneshot/{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Path.GetFileName(ImagePath)}";
        var stem = name[..^Path.GetExtension(name).Length];
        if (SidecarPath is not null)
        {
            await storage.Inbox.GetBlobClient(stem + ".json").UploadAsync(SidecarPath, cancellationToken);
        }
        else if (Prompt is not null)
        {
            await storage.Inbox.GetBlobClient(stem + ".json").UploadAsync(BinaryData.FromObjectAsJson(new { prompt = Prompt }), cancellationToken);
        }

        await storage.Inbox.GetBlobClient(name).UploadAsync(ImagePath!, new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = FalInputResolver.ContentTypeOf(name) },
        }, cancellationToken);
        return await services.GetRequiredService<InboxJobStarter>().StartAsync(services.GetRequiredService<DurableTaskClient>(),
            PipelineStorage.InboxContainerName, name, cancellationToken);
    }
}
