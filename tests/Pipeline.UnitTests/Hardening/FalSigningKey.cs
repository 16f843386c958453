using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Pipeline.UnitTests.Hardening;

/// <summary>An Ed25519 key pair signing webhook deliveries exactly as fal documents it.</summary>
internal sealed class FalSigningKey : IDisposable
{
    private readonly Key _key = Key.Create(
        SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });

    /// <summary>The raw public key as JWKS <c>x</c>: base64url, unpadded.</summary>
    public string X => Base64Url(_key.PublicKey.Export(KeyBlobFormat.RawPublicKey));

    /// <summary>The JWK of the public key; <paramref name="x"/> overrides its <c>x</c>.</summary>
    public string Jwk(string? x = null) => $$"""{"kty":"OKP","crv":"Ed25519","use":"sig","kid":"{{Guid.NewGuid():N}}","x":"{{x ?? X}}"}""";

    /// <summary>Lowercase hex signature over request_id \n user_id \n timestamp \n hex(sha256(body)).</summary>
    public string Sign(string requestId, string userId, string timestamp, byte[] body)
    {
        var message = Encoding.UTF8.GetBytes($"{requestId}\n{userId}\n{timestamp}\n{Convert.ToHexStringLower(SHA256.HashData(body))}");
        return Convert.ToHexStringLower(SignatureAlgorithm.Ed25519.Sign(_key, message));
    }

    public static string Jwks(params string[] jwks) => $$"""{"keys":[{{string.Join(',', jwks)}}]}""";

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose() => _key.Dispose();
}
