using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Pipeline.Core.Requests;

/// <summary>Every problem of a request, keyed by the JSON name the caller sent (<c>prompt</c>, <c>image_urls[2]</c>).</summary>
public sealed class ValidationErrors : Dictionary<string, string[]>
{
    public ValidationErrors()
        : base(StringComparer.Ordinal)
    {
    }

    public void Add(string field, string message) =>
        this[field] = TryGetValue(field, out var existing) ? [.. existing, message] : [message];

    /// <summary>One line per problem, for logs, error markers and events.</summary>
    public string Describe() => string.Join("; ", this.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")));
}

/// <summary>
/// The contract of a request, checked before anything is submitted (fal would refuse most of these only after billing
/// the queue slot): the seed's fields, enums, limits and defaults, plus the prompt's <c>@ImageN/@VideoN/@AudioN</c>
/// references. Every problem is reported at once.
/// </summary>
public static partial class VideoRequestValidator
{
    public static readonly IReadOnlyList<string> Resolutions = ["480p", "720p"];
    public static readonly IReadOnlyList<string> Durations =
        ["auto", .. Enumerable.Range(4, 12).Select(n => n.ToString(CultureInfo.InvariantCulture))];
    public static readonly IReadOnlyList<string> AspectRatios = ["auto", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16"];

    public const int MaxImageUrls = 9;
    public const int MaxVideoUrls = 3;
    public const int MaxAudioUrls = 3;
    public const int MaxReferenceFiles = 12;

    /// <summary>The seed sets no limit; this one keeps the id within blob metadata and HTTP headers.</summary>
    public const int MaxEndUserIdLength = 256;

    private static readonly Dictionary<VideoMode, string[]> FieldsOfMode = new()
    {
        [VideoMode.TextToVideo] = [],
        [VideoMode.ImageToVideo] = ["image_url", "end_image_url"],
        [VideoMode.ReferenceToVideo] = ["image_urls", "video_urls", "audio_urls"],
    };

    private static readonly string[] FileFields = ["image_url", "end_image_url", "image_urls", "video_urls", "audio_urls"];

    /// <param name="allowBlobReferences">True for requests the pipeline built from its own storage (inbox sidecars).</param>
    public static (VideoRequest? Request, ValidationErrors Errors) Validate(
        VideoMode mode, JsonNode? body, bool allowBlobReferences = false)
    {
        var errors = new ValidationErrors();
        if (body is not JsonObject obj)
        {
            errors.Add("body", "must be a JSON object with the model's input fields");
            return (null, errors);
        }

        var prompt = String(obj, "prompt", errors);
        if (prompt is null && !errors.ContainsKey("prompt"))
        {
            errors.Add("prompt", "is required"); // missing, or null
        }
        else if (prompt is not null && string.IsNullOrWhiteSpace(prompt))
        {
            errors.Add("prompt", "must not be empty");
        }

        foreach (var field in FileFields.Except(FieldsOfMode[mode]))
        {
            if (obj[field] is not null)
            {
                errors.Add(field, $"is not an input of {mode.Slug()} (it takes {Describe(FieldsOfMode[mode])})");
            }
        }

        var request = new VideoRequest
        {
            Prompt = prompt ?? "",
            Resolution = OneOf(obj, "resolution", Resolutions, errors) ?? VideoRequest.DefaultResolution,
            Duration = Duration(obj, errors) ?? VideoRequest.DefaultDuration,
            AspectRatio = OneOf(obj, "aspect_ratio", AspectRatios, errors) ?? VideoRequest.DefaultAspectRatio,
            GenerateAudio = Bool(obj, "generate_audio", errors) ?? true,
            Seed = Integer(obj, "seed", errors),
            EndUserId = EndUserId(obj, errors),
        };

        switch (mode)
        {
            case VideoMode.ImageToVideo:
                request = request with
                {
                    ImageUrl = Url(obj, "image_url", allowBlobReferences, errors),
                    EndImageUrl = Url(obj, "end_image_url", allowBlobReferences, errors),
                };
                if (request.ImageUrl is null && !errors.ContainsKey("image_url"))
                {
                    errors.Add("image_url", "is required for image-to-video");
                }

                break;
            case VideoMode.ReferenceToVideo:
                request = request with
                {
                    ImageUrls = UrlList(obj, "image_urls", MaxImageUrls, allowBlobReferences, errors),
                    VideoUrls = UrlList(obj, "video_urls", MaxVideoUrls, allowBlobReferences, errors),
                    AudioUrls = UrlList(obj, "audio_urls", MaxAudioUrls, allowBlobReferences, errors),
                };
                var total = request.ImageUrls.Count + request.VideoUrls.Count + request.AudioUrls.Count;
                if (total > MaxReferenceFiles)
                {
                    errors.Add(
                        "image_urls", $"image_urls, video_urls and audio_urls hold {total} files; at most {MaxReferenceFiles} in all");
                }

                if (request.AudioUrls.Count > 0 && request.ImageUrls.Count == 0 && request.VideoUrls.Count == 0)
                {
                    errors.Add("audio_urls", "reference audio needs at least one reference image or video");
                }

                break;
        }

        if (prompt is not null)
        {
            CheckPromptReferences(prompt, request, errors);
        }

        return (errors.Count == 0 ? request : null, errors);
    }

    /// <summary>Every <c>@Image2</c> must name an item the request provides (image_urls[1]); likewise videos and audio.</summary>
    private static void CheckPromptReferences(string prompt, VideoRequest request, ValidationErrors errors)
    {
        foreach (Match match in PromptReference().Matches(prompt))
        {
            var kind = match.Groups["kind"].Value;
            // \d+ may be any number of digits: past int it cannot name an item either.
            var n = int.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : int.MaxValue;
            var (field, count) = kind switch
            {
                "Image" => ("image_urls", request.ImageUrls.Count),
                "Video" => ("video_urls", request.VideoUrls.Count),
                _ => ("audio_urls", request.AudioUrls.Count),
            };
            if (n < 1 || n > count)
            {
                errors.Add("prompt", count == 0
                    ? $"{match.Value} refers to {field}, which this request does not provide"
                    : $"{match.Value} refers to item {n} of {field}, which has {count}");
            }
        }
    }

    [GeneratedRegex(@"@(?<kind>Image|Video|Audio)(?<n>\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex PromptReference();

    private static string Describe(string[] fields) => fields.Length == 0 ? "no files" : string.Join(", ", fields);

    private static string? String(JsonObject obj, string field, ValidationErrors errors)
    {
        var node = obj[field];
        if (node is null)
        {
            return null;
        }

        if (node.GetValueKind() == JsonValueKind.String)
        {
            return node.GetValue<string>();
        }

        errors.Add(field, "must be a string");
        return null;
    }

    /// <summary>At most <see cref="MaxEndUserIdLength"/> printable characters: it travels in blob metadata and headers.</summary>
    private static string? EndUserId(JsonObject obj, ValidationErrors errors)
    {
        var value = String(obj, "end_user_id", errors);
        if (value is not null && (value.Length is 0 or > MaxEndUserIdLength || value.Any(char.IsControl)))
        {
            errors.Add("end_user_id", $"must be 1 to {MaxEndUserIdLength} printable characters");
            return null;
        }

        return value;
    }

    private static string? OneOf(JsonObject obj, string field, IReadOnlyList<string> allowed, ValidationErrors errors)
    {
        var value = String(obj, field, errors);
        if (value is null || allowed.Contains(value, StringComparer.Ordinal))
        {
            return value;
        }

        errors.Add(field, $"must be one of {string.Join(", ", allowed)}");
        return null;
    }

    /// <summary>fal's enum is of strings; a whole number 4..15 is accepted too and sent as its string.</summary>
    private static string? Duration(JsonObject obj, ValidationErrors errors)
    {
        var node = obj["duration"];
        if (node?.GetValueKind() == JsonValueKind.Number)
        {
            if (node.AsValue().TryGetValue<int>(out var seconds) && seconds is >= 4 and <= 15)
            {
                return seconds.ToString(CultureInfo.InvariantCulture);
            }

            errors.Add("duration", "must be auto or a whole number of seconds from 4 to 15");
            return null;
        }

        var value = String(obj, "duration", errors);
        if (value is null || Durations.Contains(value, StringComparer.Ordinal))
        {
            return value;
        }

        errors.Add("duration", "must be auto or a whole number of seconds from 4 to 15");
        return null;
    }

    private static bool? Bool(JsonObject obj, string field, ValidationErrors errors)
    {
        switch (obj[field]?.GetValueKind())
        {
            case null:
                return null;
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                errors.Add(field, "must be true or false");
                return null;
        }
    }

    private static long? Integer(JsonObject obj, string field, ValidationErrors errors)
    {
        var node = obj[field];
        if (node is null)
        {
            return null;
        }

        if (node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue<long>(out var value))
        {
            return value;
        }

        errors.Add(field, "must be a whole number");
        return null;
    }

    private static string? Url(JsonObject obj, string field, bool allowBlobReferences, ValidationErrors errors)
    {
        var value = String(obj, field, errors);
        if (value is null)
        {
            return null;
        }

        if (IsAcceptedUrl(value, allowBlobReferences))
        {
            return value;
        }

        errors.Add(field, "must be an absolute http or https URL");
        return null;
    }

    private static List<string> UrlList(JsonObject obj, string field, int max, bool allowBlobReferences, ValidationErrors errors)
    {
        var result = new List<string>();
        var node = obj[field];
        if (node is null)
        {
            return result;
        }

        if (node is not JsonArray array)
        {
            errors.Add(field, "must be a list of URLs");
            return result;
        }

        if (array.Count > max)
        {
            errors.Add(field, $"holds {array.Count} items; at most {max}");
        }

        for (var i = 0; i < array.Count; i++)
        {
            var item = array[i];
            if (item?.GetValueKind() == JsonValueKind.String && IsAcceptedUrl(item.GetValue<string>(), allowBlobReferences))
            {
                result.Add(item.GetValue<string>());
            }
            else
            {
                errors.Add($"{field}[{i}]", "must be an absolute http or https URL");
            }
        }

        return result;
    }

    private static bool IsAcceptedUrl(string value, bool allowBlobReferences) =>
        (Uri.TryCreate(value, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && uri.Host.Length > 0)
        || (allowBlobReferences && BlobReference.TryParse(value, out _));
}
