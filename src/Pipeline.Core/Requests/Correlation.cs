using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Pipeline.Core.Requests;

/// <summary>
/// A job's <c>correlation</c> map: the caller's own ids (order, campaign…), echoed in the status API, the video's blob
/// metadata and every event. Bounded so that it fits blob metadata: at most 10 entries, keys of lower-case letters,
/// digits and underscores (up to 40), values up to 256 characters, 2,048 characters in all.
/// </summary>
public static partial class Correlation
{
    public const int MaxEntries = 10;
    public const int MaxKeyLength = 40;
    public const int MaxValueLength = 256;
    public const int MaxTotalLength = 2048;
    public const string Field = "correlation";

    /// <summary>Reads the map from <paramref name="node"/>; problems go to <paramref name="errors"/> under <c>correlation</c>.</summary>
    public static IReadOnlyDictionary<string, string>? Read(JsonNode? node, ValidationErrors errors)
    {
        if (node is null)
        {
            return null;
        }

        if (node is not JsonObject map)
        {
            errors.Add(Field, "must be an object of string values");
            return null;
        }

        if (map.Count > MaxEntries)
        {
            errors.Add(Field, $"has at most {MaxEntries} entries");
            return null;
        }

        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in map)
        {
            if (!KeyPattern().IsMatch(key))
            {
                errors.Add(
                    $"{Field}.{key}", $"keys are 1 to {MaxKeyLength} lower-case letters, digits or underscores, starting with a letter");
                continue;
            }

            if (value?.GetValueKind() != JsonValueKind.String || value.GetValue<string>() is not { Length: <= MaxValueLength } text)
            {
                errors.Add($"{Field}.{key}", $"must be a string of at most {MaxValueLength} characters");
                continue;
            }

            result[key] = text;
        }

        if (result.Sum(e => e.Key.Length + e.Value.Length) > MaxTotalLength)
        {
            errors.Add(Field, $"holds at most {MaxTotalLength} characters in all (keys and values)");
            return null;
        }

        return result.Count > 0 ? result : null;
    }

    /// <summary>Takes the map out of a request body (it is the pipeline's, not the model's), validating it.</summary>
    public static (JsonNode? Body, IReadOnlyDictionary<string, string>? Correlation) Split(JsonNode? body, ValidationErrors errors)
    {
        if (body is not JsonObject obj || !obj.ContainsKey(Field))
        {
            return (body, null);
        }

        var copy = (JsonObject)obj.DeepClone();
        var node = copy[Field];
        copy.Remove(Field);
        return (copy, Read(node, errors));
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
