using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipeline.Core.Fal;

/// <summary>
/// Lenient readers over fal's JSON: unknown fields are ignored and a field of an unexpected type counts as missing,
/// so a new or loosely typed field never breaks a call.
/// </summary>
internal static class FalJson
{
    public static JsonObject? TryParseObject(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string? String(JsonObject json, string name) =>
        json[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>A string field, or any other non-null value as its JSON text (for free-form fields like <c>error</c>).</summary>
    public static string? Text(JsonObject json, string name) =>
        json[name] switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            var node => node.ToJsonString(),
        };

    public static long? Int64(JsonObject json, string name)
    {
        if (json[name] is not JsonValue value)
        {
            return null;
        }

        return value.GetValueKind() switch
        {
            JsonValueKind.Number when value.TryGetValue<long>(out var whole) => whole,
            JsonValueKind.Number when value.TryGetValue<double>(out var real) && real == Math.Floor(real)
                && real is >= long.MinValue and <= long.MaxValue => (long)real,
            JsonValueKind.String
                when long.TryParse(value.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };
    }

    public static int? Int32(JsonObject json, string name) =>
        Int64(json, name) is { } number and >= int.MinValue and <= int.MaxValue ? (int)number : null;

    /// <summary>A finite number (or a string holding one).</summary>
    public static double? Double(JsonObject json, string name)
    {
        if (json[name] is not JsonValue value)
        {
            return null;
        }

        double? number = value.GetValueKind() switch
        {
            JsonValueKind.Number when value.TryGetValue<double>(out var real) => real,
            JsonValueKind.String when double.TryParse(value.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture,
                out var parsed) => parsed,
            _ => null,
        };
        return number is { } n && double.IsFinite(n) ? n : null;
    }

    public static bool? Boolean(JsonObject json, string name) =>
        json[name] is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? value.GetValue<bool>() : null;

    /// <summary>An ISO 8601 time; one without an offset is taken as UTC.</summary>
    public static DateTimeOffset? Timestamp(JsonObject json, string name) =>
        String(json, name) is { } text
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;

    /// <summary>An absolute http(s) URL field; anything else counts as missing.</summary>
    public static Uri? HttpUrl(JsonObject json, string name) =>
        String(json, name) is { } text && Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : null;
}
