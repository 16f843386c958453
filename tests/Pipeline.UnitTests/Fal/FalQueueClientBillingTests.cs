using System.Net;
using System.Text.Json.Nodes;
using Pipeline.Core.Fal;

namespace Pipeline.UnitTests.Fal;

/// <summary>A submit is billable: the client never sends it twice when fal may have queued it, and the key goes only to fal.</summary>
public sealed class FalQueueClientBillingTests
{
    private static readonly JsonObject Input = new()
    {
        ["prompt"] = "A kangaroo on a trampoline",
        ["image_url"] = "https://example.com/k.png",
    };

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Task<FalSubmitResult> Submit(FalClientHarness harness) =>
        harness.CreateClient().SubmitAsync(FalClientHarness.Endpoint, Input, null, Token);

    [Fact]
    public async Task SubmitAsync_ConnectionDroppedAfterSending_ThrowsOutcomeUnknownWithoutResending()
    {
        var harness = new FalClientHarness();
        harness.Handler
            .Throw(new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely."))
            .Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        var error = await Assert.ThrowsAsync<FalSubmitOutcomeUnknownException>(() => Submit(harness));

        Assert.Single(harness.Handler.Requests);
        Assert.Equal("outcome_unknown", error.ErrorCode);
        Assert.DoesNotContain(FalClientHarness.KeySecret, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitAsync_NoAnswerWithinTheTimeout_ThrowsOutcomeUnknownWithoutResending()
    {
        var harness = new FalClientHarness();
        harness.Options.RequestTimeout = TimeSpan.FromMilliseconds(50);
        harness.Handler.Hang().Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        await Assert.ThrowsAsync<FalSubmitOutcomeUnknownException>(() => Submit(harness));

        Assert.Single(harness.Handler.Requests);
    }

    [Fact]
    public async Task SubmitAsync_ConnectionRefused_IsRetriedBecauseNothingWasSent()
    {
        var harness = new FalClientHarness();
        harness.Handler
            .Throw(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"))
            .Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        var result = await Submit(harness);

        Assert.Equal(FalClientHarness.RequestId, result.RequestId);
        Assert.Equal(2, harness.Handler.Requests.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(503)]
    [InlineData(429)]
    public async Task SubmitAsync_WithoutRetry_TriesOnceAndSaysFalWasAway(int? status)
    {
        // Version 3 waits on durable timers instead: a crash can then never land inside a retry loop with a claim open.
        var harness = new FalClientHarness();
        if (status is { } answered)
        {
            harness.Handler.Respond((HttpStatusCode)answered, """{ "detail": "busy" }""");
        }
        else
        {
            harness.Handler.Throw(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"));
        }

        harness.Handler.Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        var refused = await Assert.ThrowsAsync<FalApiException>(() => harness.CreateClient()
            .SubmitAsync(FalClientHarness.Endpoint, Input, null, retry: false, Token));

        Assert.True(refused.IsRetryable);
        Assert.Single(harness.Handler.Requests);
    }

    [Fact]
    public async Task GetStatusAsync_ConnectionDropped_IsRetried()
    {
        // Reading is free: only a submit is kept from being sent twice.
        var harness = new FalClientHarness();
        harness.Handler
            .Throw(new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely."))
            .Respond(HttpStatusCode.Accepted, """{ "status": "IN_QUEUE", "queue_position": 1 }""");

        var status = await harness.CreateClient().GetStatusAsync(FalClientHarness.StatusUrl, Token);

        Assert.Equal(FalRequestState.InQueue, status.State);
        Assert.Equal(2, harness.Handler.Requests.Count);
    }

    [Theory]
    [InlineData("https://attacker.example/bytedance/seedance-2.0/requests/r-1/status")]
    [InlineData("https://queue.fal.test.attacker.example/bytedance/seedance-2.0/requests/r-1/status")]
    [InlineData("http://169.254.169.254/bytedance/seedance-2.0/requests/r-1/status")]
    public async Task GetStatusAsync_UrlOnAnotherHost_IsRefusedWithoutSendingAnything(string url)
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, """{ "status": "COMPLETED" }""");

        var error = await Assert.ThrowsAsync<FalApiException>(() => harness.CreateClient().GetStatusAsync(new Uri(url), Token));

        Assert.Empty(harness.Handler.Requests);
        Assert.Equal("foreign_host", error.ErrorCode);
        Assert.False(error.IsRetryable);
        Assert.Contains(new Uri(url).Host, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(
            FalClientHarness.KeySecret,
            string.Join('\n', harness.Logger.Entries.Select(e => e.AllText)),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelAsync_HostInAllowedHosts_IsSent()
    {
        var harness = new FalClientHarness();
        harness.Options.AllowedHosts = ["queue.fal.run", "other-queue.fal.test"];
        harness.Handler.Respond(HttpStatusCode.OK, """{ "status": "CANCELLATION_REQUESTED" }""");

        await harness.CreateClient().CancelAsync(new Uri("https://other-queue.fal.test/bytedance/seedance-2.0/requests/r-1/cancel"), Token);

        Assert.Single(harness.Handler.Requests);
    }

    [Fact]
    public async Task SubmitAsync_AsksFalToExpireOutputsAfterTheRetention()
    {
        var harness = new FalClientHarness();
        harness.Options.OutputRetention = TimeSpan.FromHours(3);
        harness.Handler.Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        await Submit(harness);

        Assert.Contains(
            "X-Fal-Object-Lifecycle-Preference: {\"expiration_duration_seconds\":10800}",
            harness.Handler.Requests[0].Headers,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletePayloadsAsync_WithAnAdminKey_DeletesWithTheAdminKeyAndAnIdempotencyKey()
    {
        var harness = new FalClientHarness();
        harness.Options.AdminKey = "admin-id:admin-secret";
        harness.Options.AdminBaseUrl = new Uri("https://api.fal.test");
        harness.Handler.Respond(HttpStatusCode.OK, "{}");

        Assert.True(await harness.CreateClient().DeletePayloadsAsync("r-1", Token));

        var sent = Assert.Single(harness.Handler.Requests);
        Assert.Equal(HttpMethod.Delete, sent.Method);
        Assert.Equal(new Uri("https://api.fal.test/v1/models/requests/r-1/payloads"), sent.Uri);
        Assert.Equal("admin-id:admin-secret", sent.Authorization?.Parameter);
        Assert.Contains("Idempotency-Key: delete-payloads-r-1", sent.Headers, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletePayloadsAsync_WithoutAnAdminKey_SendsNothing()
    {
        var harness = new FalClientHarness();

        Assert.False(await harness.CreateClient().DeletePayloadsAsync("r-1", Token));
        Assert.Empty(harness.Handler.Requests);
    }
}
