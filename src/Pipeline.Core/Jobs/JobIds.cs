using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Core.Jobs;

/// <summary>
/// Job ids, which are the orchestration instance ids. Deterministic where a redelivery must find the same job: a blob
/// version (container, name, ETag) or an idempotency key. Hex only, so ids never hold <c>/</c>, <c>#</c> or <c>?</c>.
/// </summary>
public static class JobIds
{
    public static string ForBlob(string container, string name, string etag) => "inbox-" + Hash($"{container}\n{name}\n{etag.Trim('"')}");

    public static string ForIdempotencyKey(string mode, string key) => "api-" + Hash($"{mode}\n{key}");

    public static string New() => "api-" + Guid.NewGuid().ToString("N");

    /// <summary>Variant <paramref name="index"/> (from 1) of the job <paramref name="firstJobId"/>: the first is that job itself.</summary>
    public static string ForVariant(string firstJobId, int index) =>
        index == 1
            ? firstJobId
            : firstJobId[..(firstJobId.IndexOf('-', StringComparison.Ordinal) + 1)] + Hash($"{firstJobId}\nvariant {index}");

    /// <summary>Row <paramref name="row"/> of a manifest batch (an inbox job, like the drop it came from).</summary>
    public static string ForManifestRow(string batchId, int row) => "inbox-" + Hash($"{batchId}\nrow {row}");

    /// <summary>Ids this app makes: a prefix and hex (bounded, so a stranger's id is refused before any lookup).</summary>
    public static bool IsWellFormed(string? id)
    {
        var hex = id switch
        {
            null => null,
            _ when id.StartsWith("api-", StringComparison.Ordinal) => id[4..],
            _ when id.StartsWith("inbox-", StringComparison.Ordinal) => id[6..],
            _ => null,
        };
        return hex is { Length: 32 } && hex.All(char.IsAsciiHexDigitLower);
    }

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..32];
}
