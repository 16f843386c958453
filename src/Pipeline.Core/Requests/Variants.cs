using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipeline.Core.Requests;

/// <summary>
/// <c>variants: N</c> (1–8) asks for N jobs of one request, each with its own seed: the request's seed plus 0…N-1, or,
/// without one, seeds drawn from the first job's id (so that a rerun picks the same ones). Variant k of a drop is
/// stored as <c>name.vk.mp4</c>.
/// </summary>
public static class Variants
{
    public const string Field = "variants";

    public const int Max = 8;

    /// <summary>
    /// Removes <c>variants</c> from <paramref name="body"/> and returns the count (1 when absent); a bad value is an
    /// error by field.
    /// </summary>
    public static int Split(JsonObject body, ValidationErrors errors)
    {
        if (!body.TryGetPropertyValue(Field, out var node))
        {
            return 1;
        }

        body.Remove(Field);
        return Count(node, errors);
    }

    /// <summary>The count a value asks for, without changing anything (1 when absent or wrong: validation says why later).</summary>
    public static int Peek(JsonNode? body) =>
        body is JsonObject obj && obj.TryGetPropertyValue(Field, out var node) ? Count(node, new ValidationErrors()) : 1;

    /// <summary>
    /// The seed of variant <paramref name="index"/> (from 1); null when there is only one variant and no seed was asked
    /// for.
    /// </summary>
    public static long? SeedOf(long? requested, string firstJobId, int index, int of)
    {
        if (of <= 1)
        {
            return requested;
        }

        var first = requested ?? Requests.JobSeeds.For(firstJobId);
        return first > long.MaxValue - Max ? first - (index - 1) : first + (index - 1); // distinct, and never past the range
    }

    /// <summary><c>trips/photo.mp4</c> → <c>trips/photo.v2.mp4</c> when there is more than one variant.</summary>
    public static string OutputName(string outputBlob, int index, int of) =>
        of <= 1 ? outputBlob : $"{outputBlob[..^Path.GetExtension(outputBlob).Length]}.v{index}{Path.GetExtension(outputBlob)}";

    private static int Count(JsonNode? node, ValidationErrors errors)
    {
        if (node is JsonValue value
            && value.GetValueKind() == JsonValueKind.Number
            && value.TryGetValue<int>(out var n)
            && n is >= 1 and <= Max)
        {
            return n;
        }

        if (node is JsonValue text
            && text.GetValueKind() == JsonValueKind.String
            && int.TryParse(text.GetValue<string>(), out var parsed)
            && parsed is >= 1 and <= Max)
        {
            return parsed; // from a form field, blob metadata or a CSV cell
        }

        errors.Add(Field, $"must be a whole number from 1 to {Max}");
        return 1;
    }
}
