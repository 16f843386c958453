using System.Globalization;
using System.Text.Json.Nodes;

namespace Pipeline.Core.Requests;

/// <summary>
/// Request fields that arrive as text (blob metadata of an inbox drop, fields of an HTML form) as the JSON API types
/// them, so that one validator judges every request: <c>generate_audio</c> a boolean (a checkbox's <c>on</c> too),
/// <c>seed</c> a number; anything else, or a value that does not parse, stays a string for the validator to name.
/// </summary>
public static class TextFieldValues
{
    public static JsonNode? ToJson(string field, string value) => field switch
    {
        "generate_audio" when value.Equals("on", StringComparison.OrdinalIgnoreCase) => true,
        "generate_audio" when bool.TryParse(value, out var flag) => flag,
        "seed" when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed) => seed,
        _ => value,
    };
}
