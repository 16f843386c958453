using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Microsoft.Extensions.Options;
using Pipeline.Core.Activities;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Inbox;

/// <summary>How a drop's fields become a request: the mode, the files it names in the inbox, and their checks.</summary>
public partial class InboxReader
{
    private async Task<PreparedJob> BuildAsync(
        string container, string dropName, JsonObject body, string? image, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var (withoutCorrelation, correlation) = Correlation.Split(body, errors);
        body = (JsonObject)withoutCorrelation!;
        var variants = Variants.Split(body, errors);
        var callback = Callbacks.JobCallback.Split(body, callbacks.Value, errors);
        var modeName = body["mode"]?.GetValueKind() == JsonValueKind.String ? body["mode"]!.GetValue<string>() : null;
        var hasReferences = body["images"] is not null || body["videos"] is not null || body["audios"] is not null
                            || body["image_urls"] is not null || body["video_urls"] is not null || body["audio_urls"] is not null;
        VideoMode mode;
        if (modeName is not null)
        {
            if (!VideoModes.TryParse(modeName, out mode))
            {
                errors.Add("mode", "must be one of text-to-video, image-to-video, reference-to-video");
                return Invalid(VideoMode.ImageToVideo, errors);
            }
        }
        else
        {
            mode = image is not null || body["image"] is not null ? VideoMode.ImageToVideo
                : hasReferences ? VideoMode.ReferenceToVideo
                : VideoMode.TextToVideo;
        }

        var folder = Folder(dropName);
        string? Reference(string field, string? relative)
        {
            if (relative is null)
            {
                return null;
            }

            if (relative.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                || relative.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                return relative; // a URL fal fetches itself; the validator checks it
            }

            if (ResolveRelative(folder, relative) is not { } resolved)
            {
                var root = folder.Length == 0 ? "its root" : folder;
                errors.Add(field, $"'{relative}' must name a file in the inbox relative to {root}, without '..'");
                return null;
            }

            return new BlobReference(container, resolved).ToString();
        }

        var imageReference = image is not null
            ? new BlobReference(container, image).ToString()
            : Reference("image", StringField(body, "image", errors));
        var endImage = Reference("end_image", StringField(body, "end_image", errors));
        var references = new Dictionary<string, List<string>>
        {
            ["image_urls"] = [.. NameList(body, "images", errors).Select((n, i) => Reference($"images[{i}]", n)).OfType<string>()],
            ["video_urls"] = [.. NameList(body, "videos", errors).Select((n, i) => Reference($"videos[{i}]", n)).OfType<string>()],
            ["audio_urls"] = [.. NameList(body, "audios", errors).Select((n, i) => Reference($"audios[{i}]", n)).OfType<string>()],
        };

        foreach (var field in SidecarOnlyFields)
        {
            body.Remove(field);
        }

        switch (mode)
        {
            case VideoMode.ImageToVideo:
                if (imageReference is not null)
                {
                    body["image_url"] = imageReference;
                }

                if (endImage is not null)
                {
                    body["end_image_url"] = endImage;
                }

                break;
            case VideoMode.ReferenceToVideo:
                if (imageReference is not null)
                {
                    references["image_urls"].Insert(0, imageReference); // the dropped image is @Image1
                }

                foreach (var (field, names) in references)
                {
                    if (names.Count > 0)
                    {
                        var list = body[field] as JsonArray ?? [];
                        foreach (var n in names)
                        {
                            list.Add(n);
                        }

                        body[field] = list;
                    }
                }

                break;
            default:
                if (imageReference is not null)
                {
                    errors.Add("mode", "text-to-video takes no image; drop the image with mode image-to-video or reference-to-video");
                }

                break;
        }

        if (errors.Count > 0)
        {
            return Invalid(mode, errors);
        }

        var (request, validation) = VideoRequestValidator.Validate(mode, body, allowBlobReferences: true);
        if (request is null)
        {
            return Invalid(mode, validation);
        }

        await CheckFilesAsync(request, validation, cancellationToken);
        return validation.Count > 0 ? Invalid(mode, validation) : new PreparedJob.Ready(mode, request, correlation, variants, callback);
    }

    /// <summary>The total of <c>bytes 0-15/12345</c>; null when the answer gave none.</summary>
    internal static long? TotalLength(string? contentRange) =>
        contentRange?.LastIndexOf('/') is int slash && slash >= 0
        && long.TryParse(
            contentRange.AsSpan(slash + 1),
            System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture,
            out var total)
            ? total
            : null;

    /// <summary>
    /// The inbox files a request names must exist and be what their field says, by content (JPEG/PNG/WebP images,
    /// MP4/MOV videos, MP3/WAV audio), within the seed's sizes: 30 MB an image, 50 MB of video in all, 15 MB an audio file.
    /// </summary>
    private async Task CheckFilesAsync(VideoRequest request, ValidationErrors errors, CancellationToken cancellationToken)
    {
        long videoBytes = 0;
        foreach (var (field, url) in request.Urls())
        {
            if (!BlobReference.TryParse(url, out var reference))
            {
                continue;
            }

            var blob = storage.Blob(reference.Container, reference.Name);
            long size;
            byte[] head;
            try
            {
                // One call: the first bytes, and the whole size from the answer's Content-Range.
                var range = (await blob.DownloadContentAsync(
                    new Azure.Storage.Blobs.Models.BlobDownloadOptions { Range = new Azure.HttpRange(0, 16) }, cancellationToken)).Value;
                head = range.Content.ToArray();
                size = TotalLength(range.Details.ContentRange) ?? head.Length;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                errors.Add(field, $"{reference.Name} {NotInTheInbox}");
                continue;
            }
            catch (RequestFailedException e) when (e.Status == 416)
            {
                (size, head) = (0, []); // an empty file has no first byte to ask for
            }

            var kind = field.StartsWith("video_urls", StringComparison.Ordinal) ? "video"
                : field.StartsWith("audio_urls", StringComparison.Ordinal) ? "audio"
                : "image";
            switch (kind)
            {
                case "image" when !InputSniffer.IsImage(head) && !InputSniffer.IsHeif(head):
                    errors.Add(field, $"{reference.Name} is not a JPEG, PNG, WebP or HEIC image");
                    break;
                case "image" when size > InputSniffer.MaxImageBytes:
                    errors.Add(field, $"{reference.Name} is {size / (1024 * 1024)} MB; an image may be at most 30 MB");
                    break;
                case "video" when !InputSniffer.IsVideo(head):
                    errors.Add(field, $"{reference.Name} is not an MP4 or MOV video");
                    break;
                case "audio" when !InputSniffer.IsAudio(head):
                    errors.Add(field, $"{reference.Name} is not an MP3 or WAV file");
                    break;
                case "audio" when size > InputSniffer.MaxAudioBytes:
                    errors.Add(field, $"{reference.Name} is {size / (1024 * 1024)} MB; an audio file may be at most 15 MB");
                    break;
                case "video":
                    videoBytes += size;
                    break;
            }
        }

        if (videoBytes > InputSniffer.MaxVideoBytesInAll)
        {
            errors.Add("video_urls", $"the reference videos hold {videoBytes / (1024 * 1024)} MB; at most 50 MB in all");
        }
    }

    private static string? StringField(JsonObject body, string field, ValidationErrors errors)
    {
        var node = body[field];
        if (node is null)
        {
            return null;
        }

        if (node.GetValueKind() == JsonValueKind.String)
        {
            return node.GetValue<string>();
        }

        errors.Add(field, "must be the name of a file in the inbox");
        return null;
    }

    private static List<string> NameList(JsonObject body, string field, ValidationErrors errors)
    {
        var node = body[field];
        if (node is null)
        {
            return [];
        }

        if (node is JsonArray array && array.All(i => i?.GetValueKind() == JsonValueKind.String))
        {
            return [.. array.Select(i => i!.GetValue<string>())];
        }

        errors.Add(field, "must be a list of names of files in the inbox");
        return [];
    }

    /// <summary>A name relative to the drop's folder, normalised; null when it would leave the container.</summary>
    private static string? ResolveRelative(string folder, string relative)
    {
        var parts = new List<string>();
        foreach (var part in (folder.Length == 0 ? relative : $"{folder}/{relative}").Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part is ".." || part.Any(char.IsControl))
            {
                return null;
            }

            if (part != ".")
            {
                parts.Add(part);
            }
        }

        return parts.Count == 0 ? null : string.Join('/', parts);
    }
}
