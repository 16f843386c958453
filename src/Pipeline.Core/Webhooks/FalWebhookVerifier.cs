namespace Pipeline.Core.Webhooks;

/// <summary>
/// Decides whether a webhook delivery really comes from fal. The seam where signature verification plugs in (fal signs
/// with Ed25519 over its X-Fal-Webhook-* headers and the raw body); registered as a singleton and called before the
/// body is even parsed.
/// </summary>
public abstract class FalWebhookVerifier
{
    /// <param name="header">Looks up a request header by name (case-insensitive), null when absent.</param>
    /// <param name="body">The raw body bytes as received.</param>
    public abstract ValueTask<bool> IsAuthenticAsync(
        Func<string, string?> header, ReadOnlyMemory<byte> body, CancellationToken cancellationToken);
}

/// <summary>Accepts every delivery. Binding each delivery to the job that submitted its request id still applies.</summary>
public sealed class AcceptAllFalWebhooks : FalWebhookVerifier
{
    public override ValueTask<bool> IsAuthenticAsync(
        Func<string, string?> header, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        ValueTask.FromResult(true);
}
