using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NSec.Cryptography;

namespace FalEmulator.Tests.Support;

/// <summary>
/// Verifies a fal webhook as fal documents it, with libsodium's Ed25519 (NSec), independently of the emulator's
/// BouncyCastle signer: message = request_id \n user_id \n timestamp \n hex(sha256(raw body)), keys from the JWKS.
/// </summary>
public static class FalSignatureVerifier
{
    public static bool Verify(JsonNode jwks, ReceivedWebhook webhook, DateTimeOffset now)
    {
        var requestId = webhook.Header("X-Fal-Webhook-Request-Id");
        var userId = webhook.Header("X-Fal-Webhook-User-Id");
        var timestamp = webhook.Header("X-Fal-Webhook-Timestamp");
        var signatureHex = webhook.Header("X-Fal-Webhook-Signature");
        if (requestId == "" || userId == "" || timestamp == "" || signatureHex == "")
        {
            return false;
        }

        var seconds = long.Parse(timestamp, CultureInfo.InvariantCulture);
        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > 300)
        {
            return false;
        }

        var message = Encoding.UTF8.GetBytes(
            $"{requestId}\n{userId}\n{timestamp}\n{Convert.ToHexString(SHA256.HashData(webhook.Body)).ToLowerInvariant()}");
        var signature = Convert.FromHexString(signatureHex);
        foreach (var key in jwks["keys"]!.AsArray())
        {
            var x = key!["x"]!.GetValue<string>().TrimEnd('=').Replace('-', '+').Replace('_', '/');
            x = x.PadRight(x.Length + ((4 - (x.Length % 4)) % 4), '=');
            var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, Convert.FromBase64String(x), KeyBlobFormat.RawPublicKey);
            if (SignatureAlgorithm.Ed25519.Verify(publicKey, message, signature))
            {
                return true;
            }
        }

        return false;
    }
}
