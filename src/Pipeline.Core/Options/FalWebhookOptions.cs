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
}
