using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Core.Callbacks;

/// <summary>
/// Signs a delivery the way the Standard Webhooks specification says: <c>webhook-id</c> (the CloudEvent id, the same on
/// every retry), <c>webhook-timestamp</c> (Unix seconds of this attempt) and <c>webhook-signature</c>, one
/// <c>v1,{base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"}</c> per secret, space-separated.
/// </summary>
public static class CallbackSigner
{
    public const string IdHeader = "webhook-id";

    public const string TimestampHeader = "webhook-timestamp";

    public const string SignatureHeader = "webhook-signature";

    private const string SecretPrefix = "whsec_";

    /// <summary>The key of a secret written <c>whsec_{base64}</c> (the prefix is optional); null when it is not one.</summary>
    public static byte[]? KeyOf(string secret)
    {
        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        try
        {
            var key = Convert.FromBase64String(encoded);
            return key.Length >= 24 ? key : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>A new secret to configure: <c>whsec_</c> and 32 random bytes in base64.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string Signature(IEnumerable<byte[]> keys, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body.ToArray()).ToArray();
        return string.Join(' ', keys.Select(key => "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed))));
    }
}
