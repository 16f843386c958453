using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FalEmulator.Options;
using Microsoft.Extensions.Options;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace FalEmulator.Webhooks;

/// <summary>The four headers fal signs a webhook with.</summary>
public sealed record WebhookSignature(string RequestId, string UserId, string Timestamp, string SignatureHex);

/// <summary>
/// Signs webhooks as fal does: Ed25519 over <c>request_id \n user_id \n timestamp \n hex(sha256(body))</c>, hex-encoded,
/// with the public half published as a JWKS document (<c>keys[].x</c> = base64url of the 32-byte key).
/// A second, unpublished key signs deliveries that must fail verification.
/// </summary>
public sealed class WebhookSigner
{
    private readonly Ed25519PrivateKeyParameters _key;
    private readonly Ed25519PrivateKeyParameters _rogueKey;
    private readonly string _userId;

    public WebhookSigner(IOptions<FalEmulatorOptions> options)
    {
        var seed = options.Value.WebhookSigningKeySeed;
        _key = string.IsNullOrEmpty(seed)
            ? new Ed25519PrivateKeyParameters(new SecureRandom())
            : new Ed25519PrivateKeyParameters(Convert.FromBase64String(seed));
        _rogueKey = new Ed25519PrivateKeyParameters(new SecureRandom());
        _userId = options.Value.WebhookUserId;
        PublicKey = _key.GeneratePublicKey().GetEncoded();
        KeyId = Convert.ToHexString(SHA256.HashData(PublicKey))[..16].ToLowerInvariant();
    }

    /// <summary>The 32-byte Ed25519 public key that verifies genuine deliveries.</summary>
    public byte[] PublicKey { get; }

    public string KeyId { get; }

    /// <summary>The JWKS document fal serves at <c>/.well-known/jwks.json</c>.</summary>
    public JsonObject Jwks() => new()
    {
        ["keys"] = new JsonArray(new JsonObject
        {
            ["kty"] = "OKP",
            ["crv"] = "Ed25519",
            ["x"] = Base64Url(PublicKey),
            ["kid"] = KeyId,
            ["use"] = "sig",
            ["alg"] = "EdDSA",
        }),
    };

    public WebhookSignature Sign(string requestId, ReadOnlySpan<byte> body, DateTimeOffset now, bool rogue = false)
    {
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var message = Encoding.UTF8.GetBytes(SignedMessage(requestId, _userId, timestamp, body));
        var signer = new Ed25519Signer();
        signer.Init(true, rogue ? _rogueKey : _key);
        signer.BlockUpdate(message, 0, message.Length);
        return new WebhookSignature(requestId, _userId, timestamp, Convert.ToHexString(signer.GenerateSignature()).ToLowerInvariant());
    }

    /// <summary>The exact text fal signs (docs "Verifying Your Webhook").</summary>
    public static string SignedMessage(string requestId, string userId, string timestamp, ReadOnlySpan<byte> body) =>
        $"{requestId}\n{userId}\n{timestamp}\n{Convert.ToHexString(SHA256.HashData(body)).ToLowerInvariant()}";

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
