using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FalEmulator.Model;

/// <summary>
/// Enforces the Seedance 2.0 Fast input schema (shared/seed/seedance-2.0-fast-api.md) the way fal's pydantic models do:
/// every problem is reported at once, each at <c>["body", field(, index)]</c> with pydantic's type and message.
/// Unknown fields are ignored, as pydantic does by default.
/// </summary>
public static class SeedanceInputValidator
{
    public static readonly IReadOnlyList<string> Resolutions = ["480p", "720p"];
    public static readonly IReadOnlyList<string> Durations =
        ["auto", .. Enumerable.Range(4, 12).Select(n => n.ToString(CultureInfo.InvariantCulture))];
    public static readonly IReadOnlyList<string> AspectRatios = ["auto", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16"];

    public const int MaxImageUrls = 9;
    public const int MaxVideoUrls = 3;
    public const int MaxAudioUrls = 3;
    public const int MaxReferenceFiles = 12;

    public static (SeedanceInput? Input, IReadOnlyList<FalErrorDetail> Errors) Validate(string mode, JsonNode? body)
    {
        var errors = new List<FalErrorDetail>();
        if (body is not JsonObject obj)
        {
            errors.Add(FalErrorDetail.Create(
                ["body"], "model_attributes_type", "Input should be a valid dictionary or object to extract fields from", input: body));
            return (null, errors);
        }

        var prompt = RequiredString(obj, "prompt", errors);
        var input = new SeedanceInput
        {
            Mode = mode,
            Prompt = prompt ?? "",
            Resolution = Enum(obj, "resolution", Resolutions, errors) ?? "720p",
            Duration = Enum(obj, "duration", Durations, errors) ?? "auto",
            AspectRatio = Enum(obj, "aspect_ratio", AspectRatios, errors) ?? "auto",
            GenerateAudio = Bool(obj, "generate_audio", errors) ?? true,
            Seed = Integer(obj, "seed", errors),
            EndUserId = OptionalString(obj, "end_user_id", errors),
        };

        switch (mode)
        {
            case "image-to-video":
                input = input with
                {
                    ImageUrl = RequiredString(obj, "image_url", errors),
                    EndImageUrl = OptionalString(obj, "end_image_url", errors),
                };
                break;
            case "reference-to-video":
                input = input with
                {
                    ImageUrls = StringList(obj, "image_urls", MaxImageUrls, errors),
                    VideoUrls = StringList(obj, "video_urls", MaxVideoUrls, errors),
                    AudioUrls = StringList(obj, "audio_urls", MaxAudioUrls, errors),
                };
                var total = input.ImageUrls.Count + input.VideoUrls.Count + input.AudioUrls.Count;
                if (total > MaxReferenceFiles)
                {
                    errors.Add(FalErrorDetail.Create(["body"], "value_error",
                        $"Value error, Total number of reference files must not exceed {MaxReferenceFiles}, got {total}",
                        new JsonObject { ["max_files"] = MaxReferenceFiles, ["actual_files"] = total }));
                }

                if (input.AudioUrls.Count > 0 && input.ImageUrls.Count == 0 && input.VideoUrls.Count == 0)
                {
                    errors.Add(FalErrorDetail.Create(["body", "audio_urls"], "value_error",
                        "Value error, Reference audio requires at least one reference image or video"));
                }

                break;
        }

        return (errors.Count == 0 ? input : null, errors);
    }

    private static JsonNode? Present(JsonObject obj, string field) =>
        obj.TryGetPropertyValue(field, out var node) ? node : null;

    private static string? RequiredString(JsonObject obj, string field, List<FalErrorDetail> errors)
    {
        if (!obj.ContainsKey(field))
        {
            errors.Add(FalErrorDetail.Create(["body", field], "missing", "Field required", input: obj));
            return null;
        }

        return StringValue(Present(obj, field), ["body", field], errors);
    }

    private static string? OptionalString(JsonObject obj, string field, List<FalErrorDetail> errors) =>
        Present(obj, field) is { } node ? StringValue(node, ["body", field], errors) : null;

    private static string? StringValue(JsonNode? node, IReadOnlyList<object> loc, List<FalErrorDetail> errors)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            return value.GetValue<string>();
        }

        errors.Add(FalErrorDetail.Create(loc, "string_type", "Input should be a valid string", input: node));
        return null;
    }

    private static string? Enum(JsonObject obj, string field, IReadOnlyList<string> allowed, List<FalErrorDetail> errors)
    {
        if (Present(obj, field) is not { } node)
        {
            return null;
        }

        // pydantic matches str enums by value and does not coerce numbers to strings: "duration": 5 is refused.
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String && allowed.Contains(value.GetValue<string>()))
        {
            return value.GetValue<string>();
        }

        // fal's errors doc names this "one_of" with the allowed values in ctx.expected.
        var expected = string.Join(", ", allowed.Take(allowed.Count - 1).Select(a => $"'{a}'")) + $" or '{allowed[^1]}'";
        errors.Add(FalErrorDetail.Create(["body", field], "one_of", $"Input should be {expected}",
            new JsonObject { ["expected"] = new JsonArray([.. allowed.Select(a => JsonValue.Create(a))]) }, node));
        return null;
    }

    private static bool? Bool(JsonObject obj, string field, List<FalErrorDetail> errors)
    {
        if (Present(obj, field) is not { } node)
        {
            return null;
        }

        // pydantic's lax mode: true/false, 0/1 and the usual words.
        switch (node.GetValueKind())
        {
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Number when node.GetValue<double>() is 0 or 1:
                return node.GetValue<double>() == 1;
            case JsonValueKind.String:
                switch (node.GetValue<string>().Trim().ToLowerInvariant())
                {
                    case "true" or "1" or "yes" or "on" or "t" or "y":
                        return true;
                    case "false" or "0" or "no" or "off" or "f" or "n":
                        return false;
                }

                errors.Add(FalErrorDetail.Create(
                    ["body", field], "bool_parsing", "Input should be a valid boolean, unable to interpret input", input: node));
                return null;
            default:
                errors.Add(FalErrorDetail.Create(["body", field], "bool_type", "Input should be a valid boolean", input: node));
                return null;
        }
    }

    private static long? Integer(JsonObject obj, string field, List<FalErrorDetail> errors)
    {
        if (Present(obj, field) is not { } node)
        {
            return null;
        }

        switch (node.GetValueKind())
        {
            case JsonValueKind.Null:
                return null; // seed is Optional[int] in fal's schema
            case JsonValueKind.Number:
                var number = node.GetValue<double>();
                if (number == Math.Floor(number) && Math.Abs(number) < 9.2e18)
                {
                    return (long)number;
                }

                errors.Add(FalErrorDetail.Create(
                    ["body", field],
                    "int_from_float",
                    "Input should be a valid integer, got a number with a fractional part",
                    input: node));
                return null;
            case JsonValueKind.String when long.TryParse(
                node.GetValue<string>().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed):
                return parsed;
            case JsonValueKind.String:
                errors.Add(FalErrorDetail.Create(
                    ["body", field], "int_parsing", "Input should be a valid integer, unable to parse string as an integer", input: node));
                return null;
            default:
                errors.Add(FalErrorDetail.Create(["body", field], "int_type", "Input should be a valid integer", input: node));
                return null;
        }
    }

    private static List<string> StringList(JsonObject obj, string field, int maxItems, List<FalErrorDetail> errors)
    {
        var result = new List<string>();
        if (Present(obj, field) is not { } node)
        {
            return result;
        }

        if (node is not JsonArray array)
        {
            errors.Add(FalErrorDetail.Create(["body", field], "list_type", "Input should be a valid list", input: node));
            return result;
        }

        if (array.Count > maxItems)
        {
            errors.Add(FalErrorDetail.Create(["body", field], "sequence_too_long",
                $"Sequence should have at most {maxItems} items, not {array.Count}",
                new JsonObject { ["max_length"] = maxItems }, node));
        }

        for (var i = 0; i < array.Count; i++)
        {
            if (StringValue(array[i], ["body", field, i], errors) is { } item)
            {
                result.Add(item);
            }
        }

        return result;
    }
}
