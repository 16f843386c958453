using System.Globalization;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Api;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;
using Pipeline.Core.Inbox;

namespace Pipeline.LocalHost;

/// <summary>
/// <c>run.sh photo.jpg [--prompt "…"] [--sidecar photo.json]</c> or <c>run.sh --prompt "…"</c>: one job, its progress in
/// the log, and its <see cref="OneShotOutcome"/>.
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

    /// <summary>
    /// Drops the image (with its sidecar, or its prompt as blob metadata) or a text-to-video request into the inbox as
    /// <c>oneshot/&lt;stamp&gt;-&lt;image name or prompt slug&gt;</c>, so that its video is
    /// <c>videos/oneshot/&lt;stamp&gt;-&lt;name&gt;.mp4</c> either way, and waits for the job's end and the video in
    /// <c>videos/</c>.
    /// </summary>
    public async Task<OneShotOutcome> RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (ImagePath is not null && !File.Exists(ImagePath))
        {
            return OneShotOutcome.Refused($"no such file: {ImagePath}");
        }

        var id = await DropAsync(services, DropName(DateTime.UtcNow), cancellationToken);
        if (id is null)
        {
            return OneShotOutcome.Refused($"{ImagePath} starts no job (only .jpg, .jpeg, .png and .webp images do)");
        }

        var client = services.GetRequiredService<DurableTaskClient>();
        var videos = services.GetRequiredService<VideoJobService>();
        while (true)
        {
            await Task.Delay(500, cancellationToken);
            var job = await videos.GetAsync(client, id, cancellationToken);
            if (job?.Status is VideoJobStatuses.Succeeded)
            {
                var path = await MirroredAsync(services, job.Video!, cancellationToken);
                return OneShotOutcome.Video(id, path, Mp4Duration.Read(path), job.Video!.SizeBytes);
            }

            if (job?.Status is VideoJobStatuses.Failed or VideoJobStatuses.Cancelled)
            {
                return OneShotOutcome.NoVideo(id, job.Status, job.Error);
            }
        }
    }

    /// <summary><c>oneshot/20261202-101500-harbour.jpg</c> for an image, <c>oneshot/20261202-101500-northern-lights-over-a-lake.json</c> for a prompt.</summary>
    public string DropName(DateTime now) =>
        string.Create(CultureInfo.InvariantCulture, $"oneshot/{now:yyyyMMdd-HHmmss}-")
        + (ImagePath is not null ? Path.GetFileName(ImagePath) : Slug(Prompt ?? "") + ".json");

    /// <summary>The prompt's first words in lower case, joined by hyphens (at most 40 characters), for a file name.</summary>
    public static string Slug(string prompt)
    {
        var words = new string([.. prompt.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : ' ')])
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var slug = "";
        foreach (var word in words)
        {
            var longer = slug.Length == 0 ? word : $"{slug}-{word}";
            if (longer.Length > 40)
            {
                break;
            }

            slug = longer;
        }

        return slug.Length > 0 ? slug : "prompt";
    }

    /// <summary>Puts the drop into the inbox, as a person's drop would arrive, and starts its job.</summary>
    private async Task<string?> DropAsync(IServiceProvider services, string name, CancellationToken cancellationToken)
    {
        var storage = services.GetRequiredService<PipelineStorage>();
        if (ImagePath is null)
        {
            await storage.Inbox.GetBlobClient(name).UploadAsync(BinaryData.FromObjectAsJson(new { mode = "text-to-video", prompt = Prompt }), cancellationToken);
        }
        else
        {
            if (SidecarPath is not null)
            {
                await storage.Inbox.GetBlobClient(name[..^Path.GetExtension(name).Length] + ".json").UploadAsync(SidecarPath, cancellationToken);
            }

            await storage.Inbox.GetBlobClient(name).UploadAsync(ImagePath, new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = FalInputResolver.ContentTypeOf(name) },
                // The prompt as metadata rather than a sidecar: a sidecar's own job would end superseded beside the image's.
                Metadata = Prompt is null ? null : new Dictionary<string, string> { ["prompt"] = Uri.EscapeDataString(Prompt) },
            }, cancellationToken);
        }

        return await services.GetRequiredService<InboxJobStarter>().StartAsync(services.GetRequiredService<DurableTaskClient>(),
            PipelineStorage.InboxContainerName, name, cancellationToken);
    }

    /// <summary>Waits for the videos folder mirror to have written the video whole, and returns its path.</summary>
    private static async Task<string> MirroredAsync(IServiceProvider services, StoredVideo video, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<LocalHostOptions>>().Value;
        var path = Path.Combine(options.VideosFolder, video.Blob[(video.Blob.IndexOf('/', StringComparison.Ordinal) + 1)..]);
        while (!(File.Exists(path) && new FileInfo(path).Length == video.SizeBytes))
        {
            await Task.Delay(200, cancellationToken);
        }

        return path;
    }
}
