using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Pipeline.Core.Api;
using Pipeline.Core.Options;
using Pipeline.Core.Webhooks;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Pipeline.UnitTests.Hardening;

/// <summary>
/// fal's webhook signatures against a real Ed25519 key pair, a JWKS served by a stub handler and a clock the test moves:
/// headers, body, timestamp window, signature format, unknown keys, padded keys, rotation, rate-limited refetches, caching.
/// </summary>
public sealed class FalSignatureVerifierTests : IDisposable
{
    private const string RequestId = "764cabcf-b745-4b3e-ae38-1200304cf45b";
    private const string UserId = "github|1234567";

    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"request_id":"764cabcf-b745-4b3e-ae38-1200304cf45b","status":"OK","payload":"""
        + """{"video":{"url":"https://v3b.fal.media/files/x.mp4"}}}""");

    private readonly FakeTimeProvider _time = new(Start);
    private readonly JwksHandler _jwks = new();
    private readonly FalWebhookOptions _options = new() { JwksUrl = new Uri("https://jwks.test/.well-known/jwks.json") };
    private readonly FalSigningKey _keyA = new();
    private readonly FalSigningKey _keyB = new();
    private readonly FalSignatureVerifier _verifier;

    public FalSignatureVerifierTests()
    {
        var factory = new Mock<IHttpClientFactory>();
        factory.Setup(f => f.CreateClient(It.IsAny<string>())).Returns(() => new HttpClient(_jwks, disposeHandler: false));
        _verifier = new FalSignatureVerifier(factory.Object, MsOptions.Create(_options), _time, NullLogger<FalSignatureVerifier>.Instance);
        _jwks.Json = FalSigningKey.Jwks(_keyA.Jwk());
    }

    public void Dispose()
    {
        _verifier.Dispose();
        _jwks.Dispose();
        _keyA.Dispose();
        _keyB.Dispose();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static string Seconds(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    /// <summary>The four headers of a delivery signed by <paramref name="key"/> now (or at <paramref name="at"/>).</summary>
    private Dictionary<string, string?> Headers(FalSigningKey key, byte[]? body = null, DateTimeOffset? at = null)
    {
        var timestamp = Seconds(at ?? _time.Now);
        return new(StringComparer.OrdinalIgnoreCase)
        {
            ["X-Fal-Webhook-Request-Id"] = RequestId,
            ["X-Fal-Webhook-User-Id"] = UserId,
            ["X-Fal-Webhook-Timestamp"] = timestamp,
            ["X-Fal-Webhook-Signature"] = key.Sign(RequestId, UserId, timestamp, body ?? Body),
        };
    }

    private ValueTask<bool> VerifyAsync(Dictionary<string, string?> headers, byte[]? body = null) =>
        _verifier.IsAuthenticAsync(name => headers.GetValueOrDefault(name), body ?? Body, Token);

    [Fact]
    public async Task IsAuthenticAsync_ValidDelivery_ReturnsTrue()
    {
        Assert.True(await VerifyAsync(Headers(_keyA)));
        Assert.Equal(1, _jwks.Fetches);
        Assert.Equal(_options.JwksUrl, _jwks.LastUri);
    }

    [Fact]
    public async Task IsAuthenticAsync_EmptyBodySignedCorrectly_ReturnsTrue()
    {
        Assert.True(await VerifyAsync(Headers(_keyA, body: []), body: []));
    }

    [Theory]
    [InlineData("X-Fal-Webhook-Request-Id")]
    [InlineData("X-Fal-Webhook-User-Id")]
    [InlineData("X-Fal-Webhook-Timestamp")]
    [InlineData("X-Fal-Webhook-Signature")]
    public async Task IsAuthenticAsync_HeaderMissing_ReturnsFalse(string missing)
    {
        var headers = Headers(_keyA);
        headers.Remove(missing);

        Assert.False(await VerifyAsync(headers));
    }

    [Theory]
    [InlineData("X-Fal-Webhook-Request-Id")]
    [InlineData("X-Fal-Webhook-User-Id")]
    [InlineData("X-Fal-Webhook-Timestamp")]
    [InlineData("X-Fal-Webhook-Signature")]
    public async Task IsAuthenticAsync_HeaderEmpty_ReturnsFalse(string empty)
    {
        var headers = Headers(_keyA);
        headers[empty] = "";

        Assert.False(await VerifyAsync(headers));
    }

    [Fact]
    public async Task IsAuthenticAsync_AllHeadersMissing_ReturnsFalseWithoutFetchingKeys()
    {
        Assert.False(await _verifier.IsAuthenticAsync(_ => null, Body, Token));
        Assert.Equal(0, _jwks.Fetches);
    }

    [Fact]
    public async Task IsAuthenticAsync_BodyChangedByOneByte_ReturnsFalse()
    {
        var headers = Headers(_keyA);
        var tampered = (byte[])Body.Clone();
        tampered[^2] ^= 0x01;

        Assert.False(await VerifyAsync(headers, tampered));
        Assert.True(await VerifyAsync(headers, Body));
    }

    [Fact]
    public async Task IsAuthenticAsync_ByteAppendedToBody_ReturnsFalse()
    {
        Assert.False(await VerifyAsync(Headers(_keyA), [.. Body, (byte)' ']));
    }

    [Theory]
    [InlineData("X-Fal-Webhook-Request-Id", "another-request")]
    [InlineData("X-Fal-Webhook-User-Id", "github|7654321")]
    public async Task IsAuthenticAsync_SignedFieldReplaced_ReturnsFalse(string header, string value)
    {
        var headers = Headers(_keyA);
        headers[header] = value;

        Assert.False(await VerifyAsync(headers));
    }

    [Fact]
    public async Task IsAuthenticAsync_TimestampHeaderChangedWithinWindow_ReturnsFalse()
    {
        var headers = Headers(_keyA);
        headers["X-Fal-Webhook-Timestamp"] = Seconds(_time.Now.AddSeconds(-1));

        Assert.False(await VerifyAsync(headers));
    }

    [Theory]
    [InlineData(-6)]
    [InlineData(6)]
    [InlineData(-60 * 24)]
    public async Task IsAuthenticAsync_TimestampOutsideFiveMinutes_ReturnsFalse(int minutes)
    {
        Assert.False(await VerifyAsync(Headers(_keyA, at: _time.Now.AddMinutes(minutes))));
    }

    [Theory]
    [InlineData(-4)]
    [InlineData(4)]
    [InlineData(0)]
    public async Task IsAuthenticAsync_TimestampWithinFiveMinutes_ReturnsTrue(int minutes)
    {
        Assert.True(await VerifyAsync(Headers(_keyA, at: _time.Now.AddMinutes(minutes))));
    }

    [Fact]
    public async Task IsAuthenticAsync_DeliveryReplayedSixMinutesLater_ReturnsFalse()
    {
        var headers = Headers(_keyA);
        Assert.True(await VerifyAsync(headers));

        _time.Advance(TimeSpan.FromMinutes(6));

        Assert.False(await VerifyAsync(headers));
    }

    [Theory]
    [InlineData("not-a-number")]
    [InlineData("-1")]
    [InlineData("+1772366400")]
    [InlineData(" 1772366400")]
    [InlineData("1772366400.5")]
    [InlineData("99999999999999999999999")]
    public async Task IsAuthenticAsync_TimestampNotUnixSeconds_ReturnsFalse(string timestamp)
    {
        var headers = Headers(_keyA);
        headers["X-Fal-Webhook-Timestamp"] = timestamp;
        headers["X-Fal-Webhook-Signature"] = _keyA.Sign(RequestId, UserId, timestamp, Body);

        Assert.False(await VerifyAsync(headers));
    }

    [Fact]
    public async Task IsAuthenticAsync_SignatureNotHex_ReturnsFalse()
    {
        var headers = Headers(_keyA);
        headers["X-Fal-Webhook-Signature"] = new string('z', 128);

        Assert.False(await VerifyAsync(headers));
    }

    [Fact]
    public async Task IsAuthenticAsync_SignatureBase64InsteadOfHex_ReturnsFalse()
    {
        var headers = Headers(_keyA);
        headers["X-Fal-Webhook-Signature"] = Convert.ToBase64String(Convert.FromHexString(headers["X-Fal-Webhook-Signature"]!));

        Assert.False(await VerifyAsync(headers));
    }

    [Theory]
    [InlineData(2)] // one byte short
    [InlineData(1)] // odd number of hex digits
    [InlineData(-2)] // one byte too many
    public async Task IsAuthenticAsync_SignatureWrongLength_ReturnsFalse(int trim)
    {
        var headers = Headers(_keyA);
        var signature = headers["X-Fal-Webhook-Signature"]!;
        headers["X-Fal-Webhook-Signature"] = trim > 0 ? signature[..^trim] : signature + new string('0', -trim);

        Assert.False(await VerifyAsync(headers));
    }

    [Fact]
    public async Task IsAuthenticAsync_SignatureUppercaseHex_ReturnsTrue()
    {
        var headers = Headers(_keyA);
        headers["X-Fal-Webhook-Signature"] = headers["X-Fal-Webhook-Signature"]!.ToUpperInvariant();

        Assert.True(await VerifyAsync(headers));
    }

    [Fact]
    public async Task IsAuthenticAsync_SignatureWithOneBitFlipped_ReturnsFalse()
    {
        var headers = Headers(_keyA);
        var signature = Convert.FromHexString(headers["X-Fal-Webhook-Signature"]!);
        signature[10] ^= 0x04;
        headers["X-Fal-Webhook-Signature"] = Convert.ToHexStringLower(signature);

        Assert.False(await VerifyAsync(headers));
    }

    [Fact]
    public async Task IsAuthenticAsync_KeyNotInJwks_ReturnsFalse()
    {
        Assert.False(await VerifyAsync(Headers(_keyB)));
    }

    [Fact]
    public async Task IsAuthenticAsync_JwksXPaddedWithEquals_ReturnsTrue()
    {
        _jwks.Json = FalSigningKey.Jwks(_keyA.Jwk(_keyA.X + "="));

        Assert.True(await VerifyAsync(Headers(_keyA)));
    }

    [Fact]
    public async Task IsAuthenticAsync_JwksWithSeveralKeys_VerifiesWithAnyOfThem()
    {
        _jwks.Json = FalSigningKey.Jwks(_keyB.Jwk(), _keyA.Jwk());

        Assert.True(await VerifyAsync(Headers(_keyA)));
        Assert.True(await VerifyAsync(Headers(_keyB)));
        Assert.Equal(1, _jwks.Fetches);
    }

    [Fact]
    public async Task IsAuthenticAsync_JwksKeyOfAnotherTypeOrCurve_IsIgnored()
    {
        var x = _keyA.X;
        _jwks.Json = FalSigningKey.Jwks(
            $$"""{"kty":"RSA","n":"AQAB","e":"AQAB"}""",
            $$"""{"kty":"OKP","crv":"X25519","x":"{{x}}"}""",
            $$"""{"kty":"EC","crv":"Ed25519","x":"{{x}}"}""",
            $$"""{"kty":"OKP","crv":"Ed25519"}""");

        Assert.False(await VerifyAsync(Headers(_keyA)));
    }

    [Fact]
    public async Task IsAuthenticAsync_KeyRotatedIntoJwks_VerifiesAfterOneRefetch()
    {
        Assert.True(await VerifyAsync(Headers(_keyA)));
        Assert.Equal(1, _jwks.Fetches);

        // fal rotates key B in; a delivery signed with it arrives later than MinRefetchInterval after the first fetch.
        _jwks.Json = FalSigningKey.Jwks(_keyA.Jwk(), _keyB.Jwk());
        _time.Advance(_options.MinRefetchInterval + TimeSpan.FromSeconds(1));

        Assert.True(await VerifyAsync(Headers(_keyB)));
        Assert.Equal(2, _jwks.Fetches);

        // both keys are now cached: no more fetches
        Assert.True(await VerifyAsync(Headers(_keyA)));
        Assert.True(await VerifyAsync(Headers(_keyB)));
        Assert.Equal(2, _jwks.Fetches);
    }

    [Fact]
    public async Task IsAuthenticAsync_KeyRotatedOutOfJwks_RefusedOnceCacheExpires()
    {
        Assert.True(await VerifyAsync(Headers(_keyA)));
        _jwks.Json = FalSigningKey.Jwks(_keyB.Jwk());

        _time.Advance(_options.KeyCacheLifetime + TimeSpan.FromSeconds(1));

        Assert.False(await VerifyAsync(Headers(_keyA)));
        Assert.True(await VerifyAsync(Headers(_keyB)));
    }

    [Fact]
    public async Task IsAuthenticAsync_KeyRotatedWithinMinRefetchIntervalOfLastFetch_RefusedUntilIntervalPasses()
    {
        // Rate limiting is measured from the last fetch, whatever caused it: a rotated key seen right after a fetch
        // is refused (fal retries the webhook; the orchestration also polls) until MinRefetchInterval has passed.
        Assert.True(await VerifyAsync(Headers(_keyA)));
        _jwks.Json = FalSigningKey.Jwks(_keyA.Jwk(), _keyB.Jwk());

        Assert.False(await VerifyAsync(Headers(_keyB)));
        Assert.Equal(1, _jwks.Fetches);

        _time.Advance(_options.MinRefetchInterval);

        Assert.True(await VerifyAsync(Headers(_keyB)));
        Assert.Equal(2, _jwks.Fetches);
    }

    [Fact]
    public async Task IsAuthenticAsync_TwoBadDeliveriesWithinMinRefetchInterval_FetchAtMostOnceMore()
    {
        Assert.True(await VerifyAsync(Headers(_keyA)));
        _time.Advance(_options.MinRefetchInterval * 2);

        Assert.False(await VerifyAsync(Headers(_keyB)));
        _time.Advance(_options.MinRefetchInterval / 2);
        Assert.False(await VerifyAsync(Headers(_keyB)));

        Assert.Equal(2, _jwks.Fetches);
    }

    [Fact]
    public async Task IsAuthenticAsync_ManyBadDeliveriesRightAfterAFetch_DoNotFetchAgain()
    {
        Assert.True(await VerifyAsync(Headers(_keyA)));

        for (var i = 0; i < 20; i++)
        {
            Assert.False(await VerifyAsync(Headers(_keyB)));
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(1, _jwks.Fetches);
    }

    [Fact]
    public async Task IsAuthenticAsync_BadDeliveriesSpreadOverTime_FetchOncePerMinRefetchInterval()
    {
        Assert.True(await VerifyAsync(Headers(_keyA)));

        // one bad delivery every 10 s for 5 minutes: at most one refetch per MinRefetchInterval (1 min)
        for (var i = 0; i < 30; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(10));
            Assert.False(await VerifyAsync(Headers(_keyB)));
        }

        Assert.InRange(_jwks.Fetches, 2, 1 + 5);
    }

    [Fact]
    public async Task IsAuthenticAsync_ManyValidDeliveries_FetchKeysOnce()
    {
        for (var i = 0; i < 50; i++)
        {
            Assert.True(await VerifyAsync(Headers(_keyA)));
            _time.Advance(TimeSpan.FromMinutes(10));
        }

        Assert.Equal(1, _jwks.Fetches);
    }

    [Fact]
    public async Task IsAuthenticAsync_ManyConcurrentValidDeliveries_FetchKeysOnce()
    {
        var headers = Headers(_keyA);

        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => VerifyAsync(headers).AsTask(), Token)));

        Assert.All(results, Assert.True);
        Assert.Equal(1, _jwks.Fetches);
    }

    [Fact]
    public async Task IsAuthenticAsync_DeliveryDuringTheFirstFetch_WaitsForItsKeysInsteadOfRefusing()
    {
        var release = new TaskCompletionSource();
        _jwks.Hold = release.Task;
        var headers = Headers(_keyA);
        var first = VerifyAsync(headers).AsTask();
        while (_jwks.Fetches == 0)
        {
            await Task.Delay(5, Token);
        }

        var second = VerifyAsync(headers).AsTask();
        await Task.Delay(50, Token);
        Assert.False(second.IsCompleted, "a delivery must not be judged against keys still being fetched");
        release.SetResult();

        Assert.True(await first);
        Assert.True(await second);
        Assert.Equal(1, _jwks.Fetches);
    }

    [Fact]
    public async Task IsAuthenticAsync_KeyCacheLifetimeElapsed_FetchesKeysAgain()
    {
        Assert.True(await VerifyAsync(Headers(_keyA)));
        _time.Advance(_options.KeyCacheLifetime + TimeSpan.FromSeconds(1));

        Assert.True(await VerifyAsync(Headers(_keyA)));

        Assert.Equal(2, _jwks.Fetches);
    }

    [Fact]
    public async Task IsAuthenticAsync_JwksUnreachable_ReturnsFalseWithoutThrowing()
    {
        _jwks.Failure = new HttpRequestException("connection refused");

        Assert.False(await VerifyAsync(Headers(_keyA)));
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.NotFound)]
    public async Task IsAuthenticAsync_JwksErrorStatus_ReturnsFalseWithoutThrowing(HttpStatusCode status)
    {
        _jwks.Status = status;

        Assert.False(await VerifyAsync(Headers(_keyA)));
    }

    [Theory]
    [InlineData("<html>fal is down</html>")]
    [InlineData("""{"keys":"nope"}""")]
    [InlineData("""{"keys":[{"kty":"OKP","crv":"Ed25519","x":"!!not base64!!"}]}""")]
    [InlineData("null")]
    public async Task IsAuthenticAsync_JwksMalformed_ReturnsFalseWithoutThrowing(string json)
    {
        _jwks.Json = json;

        Assert.False(await VerifyAsync(Headers(_keyA)));
    }

    [Fact]
    public async Task IsAuthenticAsync_JwksUnreachableThenBack_VerifiesOnceReachable()
    {
        _jwks.Failure = new HttpRequestException("connection refused");
        Assert.False(await VerifyAsync(Headers(_keyA)));

        _jwks.Failure = null;
        Assert.False(await VerifyAsync(Headers(_keyA))); // a failed fetch counts towards the rate limit too
        _time.Advance(_options.MinRefetchInterval);

        Assert.True(await VerifyAsync(Headers(_keyA))); // fal retries its deliveries, so the next one gets through
    }

    [Fact]
    public async Task IsAuthenticAsync_JwksUnreachableWhenRefetching_KeepsCachedKeys()
    {
        Assert.True(await VerifyAsync(Headers(_keyA)));
        _jwks.Failure = new HttpRequestException("connection refused");
        _time.Advance(_options.MinRefetchInterval * 2);

        Assert.False(await VerifyAsync(Headers(_keyB)));
        Assert.True(await VerifyAsync(Headers(_keyA)));
    }

    [Fact]
    public async Task IsAuthenticAsync_JwksUnreachable_FetchesAreRateLimited()
    {
        _jwks.Failure = new HttpRequestException("connection refused");

        for (var i = 0; i < 10; i++)
        {
            Assert.False(await VerifyAsync(Headers(_keyB)));
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.InRange(_jwks.Fetches, 1, 2);
    }

    [Fact]
    public async Task IsAuthenticAsync_CallerCancelled_Throws()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var headers = Headers(_keyA);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => _verifier.IsAuthenticAsync(name => headers.GetValueOrDefault(name), Body, cancelled.Token).AsTask());
    }
}
