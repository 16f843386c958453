using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipeline.Core.Submits;

/// <summary>
/// What a submit sent fal, as a hash that fal's request history can be checked against: every field of the input but
/// the file URLs (signed URLs differ per signing, data URIs are large, and fal may list them otherwise), with keys in
/// order, so that an input listed by fal with its fields in any order hashes the same. Every version 3 input carries a
/// seed of the job's own (<see cref="JobSeeds"/>), so two jobs' inputs differ even when their prompts are the same.
/// </summary>
public static class FalInputFingerprint
{
    public static string Of(JsonObject input)
    {
        var canonical = new StringBuilder();
        foreach (var (key, value) in input.Where(p => !IsFileField(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            canonical.Append(JsonSerializer.Serialize(key)).Append(':').Append(Canonical(value)).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))[..32];
    }

    private static bool IsFileField(string key) =>
        key.EndsWith("_url", StringComparison.Ordinal) || key.EndsWith("_urls", StringComparison.Ordinal);

    /// <summary>A value with its objects' keys sorted and numbers as written (fal lists the input it was given).</summary>
    private static string Canonical(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject obj => "{" + string.Join(",", obj.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => JsonSerializer.Serialize(p.Key) + ":" + Canonical(p.Value))) + "}",
        JsonArray array => "[" + string.Join(",", array.Select(Canonical)) + "]",
        _ => node.ToJsonString(),
    };
}
