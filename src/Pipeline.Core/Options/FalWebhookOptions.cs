namespace Pipeline.Core.Options;

/// <summary>How fal's webhooks are authenticated (section <c>FalWebhook</c>).</summary>
public sealed class FalWebhookOptions
{
    public const string SectionName = "FalWebhook";

    /// <summary>Off only by an explicit setting, for local use; the host then warns at start.</summary>
    public bool VerifySignatures { get; set; } = true;

    /// <summary>Where fal publishes its webhook signing keys (fal-protocol.md; some docs write rest.fal.ai).</summary>
    public Uri JwksUrl { get; set; } = new("https://rest.alpha.fal.ai/.well-known/jwks.json");

    /// <summary>How long fetched keys are trusted before they are fetched again (fal: up to 24 h).</summary>
    public TimeSpan KeyCacheLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The least time between two fetches triggered by a signature the cached keys did not verify.</summary>
    public TimeSpan MinRefetchInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Deliveries whose timestamp is further than this from now are refused (replays).</summary>
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The secret the per-job webhook URL tokens are made with (<c>FAL_WEBHOOK_SECRET</c>, kept like <c>FAL_KEY</c>);
    /// without one, a key derived from <c>FAL_KEY</c> (rotating the fal key then invalidates the URLs of jobs in flight,
    /// which finish by polling).
    /// </summary>
    public string? UrlSecret { get; set; }

    /// <summary>When set, a delivery's <c>X-Fal-Webhook-User-Id</c> must be this (this app's fal user id).</summary>
    public string? UserId { get; set; }

    /// <summary>Largest delivery read: fal's are a few KB (the video is a URL).</summary>
    public int MaxBodyBytes { get; set; } = 256 * 1024;
}
