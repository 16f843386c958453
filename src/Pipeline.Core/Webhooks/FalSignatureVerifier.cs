using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using NSec.Cryptography;
using Pipeline.Core.Options;

namespace Pipeline.Core.Webhooks;

/// <summary>
/// Verifies fal's webhook signatures as fal documents them: Ed25519 over
/// <c>request_id \n user_id \n timestamp \n hex(sha256(raw body))</c> from the <c>X-Fal-Webhook-*</c> headers, against
/// the keys of fal's JWKS (cached, fetched again when a signature does not verify), with the timestamp within ±5 min.
/// </summary>
public sealed partial class FalSignatureVerifier(
    IHttpClientFactory httpClientFactory,
    IOptions<FalWebhookOptions> options,
    TimeProvider time,
    ILogger<FalSignatureVerifier> logger) : FalWebhookVerifier, IDisposable
{
    public const string HttpClientName = "fal-jwks";

    private readonly SemaphoreSlim _fetchGate = new(1, 1);

    // Keys and the time of the last fetch attempt, swapped as one so that readers outside the gate see a consistent pair.
    private volatile KeySet _state = new([], DateTimeOffset.MinValue);

    private sealed record KeySet(IReadOnlyList<PublicKey> Keys, DateTimeOffset FetchedAt);

    public override async ValueTask<bool> IsAuthenticAsync(
        Func<string, string?> header, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var requestId = header("X-Fal-Webhook-Request-Id");
        var userId = header("X-Fal-Webhook-User-Id");
        var timestamp = header("X-Fal-Webhook-Timestamp");
        var signatureHex = header("X-Fal-Webhook-Signature");
        if (string.IsNullOrEmpty(requestId)
            || string.IsNullOrEmpty(userId)
            || string.IsNullOrEmpty(timestamp)
            || string.IsNullOrEmpty(signatureHex))
        {
            LogRefused("a signature header is missing");
            return false;
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || Math.Abs(time.GetUtcNow().ToUnixTimeSeconds() - seconds) > options.Value.TimestampTolerance.TotalSeconds)
        {
            LogRefused("the timestamp is outside the allowed window");
            return false;
        }

        byte[] signature;
        try
        {
            signature = Convert.FromHexString(signatureHex);
        }
        catch (FormatException)
        {
            LogRefused("the signature is not hex");
            return false;
        }

        var message = Encoding.UTF8.GetBytes($"{requestId}\n{userId}\n{timestamp}\n{Convert.ToHexStringLower(SHA256.HashData(body.Span))}");
        var keys = await KeysAsync(refresh: false, cancellationToken);
        if (Verifies(keys, message, signature))
        {
            return true;
        }

        // A key fal rotated in since the last fetch: fetch once more (rate-limited) before refusing.
        var refreshed = await KeysAsync(refresh: true, cancellationToken);
        if (!ReferenceEquals(refreshed, keys) && Verifies(refreshed, message, signature))
        {
            return true;
        }

        LogRefused("the signature does not verify with fal's keys");
        return false;
    }

    private static bool Verifies(IReadOnlyList<PublicKey> keys, byte[] message, byte[] signature) =>
        signature.Length == SignatureAlgorithm.Ed25519.SignatureSize
        && keys.Any(k => SignatureAlgorithm.Ed25519.Verify(k, message, signature));

    private async Task<IReadOnlyList<PublicKey>> KeysAsync(bool refresh, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var state = _state;
        if (!refresh && state.Keys.Count > 0 && time.GetUtcNow() - state.FetchedAt < o.KeyCacheLifetime)
        {
            return state.Keys; // still fresh
        }

        // Everyone else waits here, so a delivery that arrives during the first fetch gets its result, not an empty list.
        await _fetchGate.WaitAsync(cancellationToken);
        try
        {
            state = _state;
            if (time.GetUtcNow() - state.FetchedAt < o.MinRefetchInterval)
            {
                return state.Keys; // fetched (or tried) moments ago
            }

            // Every attempt counts towards the rate limit, failed ones too: forged deliveries must not drive fetches.
            _state = state with { FetchedAt = time.GetUtcNow() };

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var jwks = JsonNode.Parse(await httpClientFactory.CreateClient(HttpClientName).GetStringAsync(o.JwksUrl, timeout.Token));
            IReadOnlyList<PublicKey> keys = [.. (jwks?["keys"] as JsonArray ?? []).OfType<JsonObject>()
                .Where(k => k["kty"]?.ToString() == "OKP" && k["crv"]?.ToString() == "Ed25519" && k["x"] is not null)
                .Select(k => TryImport(k["x"]!.ToString()))
                .OfType<PublicKey>()];
            _state = _state with { Keys = keys };
            LogFetched(keys.Count);
            return keys;
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or FormatException
                                      || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogFetchFailed(e.Message);
            return _state.Keys;
        }
        finally
        {
            _fetchGate.Release();
        }
    }

    /// <summary>One malformed entry must not take the valid keys beside it down with it.</summary>
    private static PublicKey? TryImport(string x)
    {
        try
        {
            return PublicKey.Import(SignatureAlgorithm.Ed25519, FromBase64Url(x), KeyBlobFormat.RawPublicKey);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>fal's document has been seen padded with '=': accept both.</summary>
    private static byte[] FromBase64Url(string value)
    {
        var s = value.TrimEnd('=').Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    public void Dispose() => _fetchGate.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "fal webhook refused: {Reason}")]
    private partial void LogRefused(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "fal's webhook keys fetched: {Count} key(s)")]
    private partial void LogFetched(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "fal's webhook keys could not be fetched: {Error}")]
    private partial void LogFetchFailed(string error);
}
