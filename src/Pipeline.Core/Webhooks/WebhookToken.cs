using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Pipeline.Core.Fal;
using Pipeline.Core.Options;

namespace Pipeline.Core.Webhooks;

/// <summary>
/// The per-job secret in the webhook URL the pipeline gives fal (<c>?job={id}&amp;token={token}</c>): an HMAC-SHA256 of
/// the job id under the app's webhook secret (<c>FAL_WEBHOOK_SECRET</c>; without one, a key derived from
/// <c>FAL_KEY</c>). fal signs every delivery, but it signs an attacker's deliveries too — to the URL the attacker gave
/// its own request — so only the token proves that the URL came from this app for this job. Checked before anything
/// else of a delivery is read, in constant time.
/// </summary>
public sealed class WebhookToken
{
    private const string Purpose = "video-pipeline fal webhook url v1";

    private readonly Lazy<byte[]> _key;

    public WebhookToken(IOptions<FalWebhookOptions> webhooks, IOptions<FalQueueClientOptions> fal)
    {
        _key = new(() => webhooks.Value.UrlSecret is { Length: > 0 } secret
            ? Encoding.UTF8.GetBytes(secret)
            : fal.Value.Key is { Length: > 0 } falKey
                ? HMACSHA256.HashData(Encoding.UTF8.GetBytes(falKey.Trim()), Encoding.UTF8.GetBytes(Purpose)) // never the key itself
                : throw new InvalidOperationException("FAL_WEBHOOK_SECRET or FAL_KEY is needed to sign webhook URLs"));
    }

    /// <summary>The job's token: 43 base64url characters.</summary>
    public string For(string jobId) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key.Value, Encoding.UTF8.GetBytes(jobId)))
            .TrimEnd('=')
            .Replace('+', '-')
            .Replace('/', '_');

    /// <summary>Whether <paramref name="token"/> is the job's; false for anything missing or malformed.</summary>
    public bool Matches(string? jobId, string? token) =>
        !string.IsNullOrEmpty(jobId) && token is { Length: 43 }
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(For(jobId)), Encoding.ASCII.GetBytes(token));
}
