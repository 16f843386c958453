using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Pipeline.Core.Requests;

/// <summary>
/// What a request asked for, as a short hash kept with its job: a repeat of the same <c>Idempotency-Key</c> is the
/// same job only when it asks for the same thing. A JSON request is hashed as validated (so the order of its keys does
/// not matter); a form is hashed part by part as it is read (its fields and its files' bytes).
/// </summary>
public static class RequestFingerprint
{
    public static string Of(VideoMode mode, VideoRequest request, IReadOnlyDictionary<string, string>? correlation)
    {
        var canonical = $"json\n{mode.Slug()}\n{JsonSerializer.Serialize(request)}\n"
            + $"{JsonSerializer.Serialize(correlation?.OrderBy(c => c.Key, StringComparer.Ordinal))}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..32];
    }

    /// <summary>A form's fingerprint, from the incremental hash its reader fed with every part.</summary>
    public static string Of(VideoMode mode, IncrementalHash parts) =>
        Convert.ToHexStringLower(SHA256.HashData([.. Encoding.UTF8.GetBytes($"form\n{mode.Slug()}\n"), .. parts.GetHashAndReset()]))[..32];
}
