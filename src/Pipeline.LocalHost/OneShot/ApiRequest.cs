using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.LocalHost.OneShot;

/// <summary>
/// A one-shot as a request to the HTTP API of a host already running: a prompt alone as text-to-video JSON; an image as
/// a multipart form with the image file, the prompt and the sidecar's fields. As in the inbox, the sidecar's prompt wins
/// over <c>--prompt</c>, the default prompt fills in, <c>mode</c> may make it reference-to-video (the image is then
/// <c>@Image1</c>), and <c>end_image</c>, <c>images</c>, <c>videos</c>, <c>audios</c> are URLs or files — here, beside
/// the sidecar. A field a form cannot carry (the <c>correlation</c> map) is a problem, named.
/// </summary>
public sealed record ApiRequest(VideoMode Mode, HttpContent Content) : IDisposable
{
    /// <summary>Sidecar fields that name files: each file becomes a part of the form, each URL a URL field.</summary>
    private static readonly Dictionary<string, (string Part, string UrlField)> FileFields = new(StringComparer.Ordinal)
    {
        ["end_image"] = ("end_image", "end_image_url"),
        ["images"] = ("images[]", "image_urls[]"),
        ["videos"] = ("videos[]", "video_urls[]"),
        ["audios"] = ("audios[]", "audio_urls[]"),
    };

    public static (ApiRequest? Request, string? Problem) For(OneShotJob job, JsonObject? sidecar, string defaultPrompt)
    {
        if (job.ImagePath is null)
        {
            return (new ApiRequest(VideoMode.TextToVideo, JsonContent.Create(new { prompt = job.Prompt })), null);
        }

        var form = new MultipartFormDataContent();
        var problem = Fill(form, job, sidecar ?? [], defaultPrompt, out var mode);
        if (problem is not null)
        {
            form.Dispose();
            return (null, problem);
        }

        return (new ApiRequest(mode, form), null);
    }

    public void Dispose() => Content.Dispose();

    private static string? Fill(
        MultipartFormDataContent form, OneShotJob job, JsonObject sidecar, string defaultPrompt, out VideoMode mode)
    {
        mode = VideoMode.ImageToVideo;
        var name = job.SidecarPath ?? "";
        if (sidecar["mode"] is { } declared)
        {
            if (declared.GetValueKind() != JsonValueKind.String || !VideoModes.TryParse(declared.GetValue<string>(), out mode))
            {
                return $"{name}: mode must be image-to-video or reference-to-video";
            }

            if (mode == VideoMode.TextToVideo)
            {
                return $"{name}: text-to-video takes no image; give the prompt alone, or mode image-to-video or reference-to-video";
            }
        }

        var prompt = sidecar["prompt"] is JsonValue said && said.GetValueKind() == JsonValueKind.String ? said.GetValue<string>() : null;
        form.Add(new StringContent(prompt ?? job.Prompt ?? defaultPrompt), "prompt");
        AddFile(form, mode == VideoMode.ReferenceToVideo ? "images[]" : "image", job.ImagePath!);
        var folder = Path.GetDirectoryName(Path.GetFullPath(name)) ?? ".";
        foreach (var (field, value) in sidecar)
        {
            var problem = field switch
            {
                // The mode is the route, the prompt is sent, and the image given wins, as in the inbox.
                "mode" or "prompt" or "image" => null,
                _ when FileFields.TryGetValue(field, out var file) => AddFiles(form, name, folder, field, value, file.Part, file.UrlField),
                _ => AddField(form, name, field, value),
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? AddFiles(
        MultipartFormDataContent form, string sidecarName, string folder, string field, JsonNode? value, string part, string urlField)
    {
        List<JsonNode?> items = value is JsonArray list ? [.. list] : [value];
        foreach (var item in items)
        {
            if (item is not JsonValue text || text.GetValueKind() != JsonValueKind.String)
            {
                return $"{sidecarName}: {field} must name files or URLs";
            }

            var given = text.GetValue<string>();
            if (Uri.TryCreate(given, UriKind.Absolute, out var url) && url.Scheme is "https" or "http")
            {
                form.Add(new StringContent(given), urlField);
                continue;
            }

            var path = Path.Combine(folder, given);
            if (!File.Exists(path))
            {
                return $"{sidecarName}: {field} names {given}, which is not a file beside it";
            }

            AddFile(form, part, path);
        }

        return null;
    }

    private static string? AddField(MultipartFormDataContent form, string sidecarName, string field, JsonNode? value)
    {
        switch (value)
        {
            case null:
                return null;
            case JsonValue scalar:
                form.Add(new StringContent(Text(scalar)), field);
                return null;
            case JsonArray list when list.All(i => i is JsonValue):
                foreach (var item in list)
                {
                    form.Add(new StringContent(Text((JsonValue)item!)), field + "[]");
                }

                return null;
            default:
                return $"{sidecarName}: {field} cannot be sent in a running host's form (only its inbox reads it); "
                       + "drop the image and its sidecar into inbox/";
        }
    }

    /// <summary>A form field's text: a string as it is, a number or a boolean as JSON writes it.</summary>
    private static string Text(JsonValue value) =>
        value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();

    private static void AddFile(MultipartFormDataContent form, string part, string path)
    {
        var content = new StreamContent(File.OpenRead(path));
        content.Headers.ContentType = new MediaTypeHeaderValue(FalInputResolver.ContentTypeOf(path));
        form.Add(content, part, Path.GetFileName(path));
    }
}
