using System.Security.Cryptography;
using System.Text;
using Pipeline.Core.Jobs;

namespace Pipeline.Core.Batches;

/// <summary>
/// Batch ids: deterministic, so that a redelivered drop finds its batch: a folder by its path, a manifest by its path
/// and its bytes (the same bytes dropped again are the same batch, and start nothing new), variants by their first job.
/// </summary>
public static class BatchIds
{
    private const string Prefix = "batch-";

    public static JobBatch ForFolder(string container, string folder) =>
        new(Prefix + Hash($"folder\n{container}\n{folder}"), BatchKind.Folder, $"{container}/{(folder.Length == 0 ? "" : folder + "/")}");

    public static JobBatch ForManifest(string container, string name, string contentSha256) =>
        new(Prefix + Hash($"manifest\n{container}\n{name}\n{contentSha256}"), BatchKind.Manifest, $"{container}/{name}");

    public static JobBatch ForVariants(string firstJobId) => new(Prefix + Hash($"variants\n{firstJobId}"), BatchKind.Variants, firstJobId);

    /// <summary>Ids this app makes: the prefix and 32 lower-case hex digits (a stranger's id is refused before any lookup).</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: 38 } && id.StartsWith(Prefix, StringComparison.Ordinal) && id[Prefix.Length..].All(char.IsAsciiHexDigitLower);

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..32];
}
