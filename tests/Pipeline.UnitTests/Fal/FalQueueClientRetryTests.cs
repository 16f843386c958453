using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Pipeline.Core.Fal;

namespace Pipeline.UnitTests.Fal;

public sealed class FalQueueClientRetryTests
{
    private static readonly JsonObject Input = new() { ["prompt"] = "An octopus plays football" };

    private static Task<FalSubmitResult> Submit(FalClientHarness harness, CancellationToken? token = null) =>
        harness.CreateClient().SubmitAsync(FalClientHarness.Endpoint, Input, null, token ?? TestContext.Current.CancellationToken);

    [Fact]
    public async Task SubmitAsync_429Then200_RetriesOnce()
    {
        var harness = new FalClientHarness();
        harness.Handler
            .Respond(
                HttpStatusCode.TooManyRequests,
                """{ "detail": "Too many requests: rate limit exceeded", "error_type": "rate_limited" }""")
            .Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        var result = await Submit(harness);

        Assert.Equal(FalClientHarness.RequestId, result.RequestId);
        Assert.Equal(2, harness.Handler.Requests.Count);
        // Each attempt carries the same body and the key again.
        Assert.All(harness.Handler.Requests, r => Assert.Equal(Input.ToJsonString(), r.Body));
        Assert.All(harness.Handler.Requests, r => Assert.Equal(FalClientHarness.Key, r.Authorization?.Parameter));
        var delay = Assert.Single(harness.Delays);
        Assert.InRange(delay, TimeSpan.FromSeconds(0.75), TimeSpan.FromSeconds(1.25));
    }

    [Fact]
    public async Task SubmitAsync_429WithRetryAfterSeconds_WaitsThatLong()
    {
        var harness = new FalClientHarness();
        harness.Handler
            .Respond(
                HttpStatusCode.TooManyRequests,
                null,
                r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)))
            .Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        await Submit(harness);

        Assert.Equal([TimeSpan.FromSeconds(7)], harness.Delays);
    }

    [Fact]
    public async Task SubmitAsync_503WithRetryAfterDate_WaitsUntilThen()
    {
        var now = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var harness = new FalClientHarness { Time = new FixedTimeProvider(now) };
        harness.Handler
            .Respond(HttpStatusCode.ServiceUnavailable, null, r => r.Headers.RetryAfter = new RetryConditionHeaderValue(now.AddSeconds(12)))
            .Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        await Submit(harness);

        Assert.Equal([TimeSpan.FromSeconds(12)], harness.Delays);
    }

    [Fact]
    public async Task SubmitAsync_RetryAfterBeyondMaxRetryDelay_IsCapped()
    {
        var harness = new FalClientHarness();
        harness.Options.MaxRetryDelay = TimeSpan.FromSeconds(20);
        harness.Handler
            .Respond(HttpStatusCode.TooManyRequests, null, r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromHours(1)))
            .Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        await Submit(harness);

        Assert.Equal([TimeSpan.FromSeconds(20)], harness.Delays);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task GetStatusAsync_TransientStatusThen200_IsRetried(HttpStatusCode transient)
    {
        var harness = new FalClientHarness();
        harness.Handler
            .Respond(transient, """{ "detail": "upstream trouble" }""")
            .Respond(HttpStatusCode.OK, """{ "status": "COMPLETED" }""");

        var status = await harness.CreateClient().GetStatusAsync(FalClientHarness.StatusUrl, TestContext.Current.CancellationToken);

        Assert.Equal(FalRequestState.Completed, status.State);
        Assert.Equal(2, harness.Handler.Requests.Count);
    }

    [Fact]
    public async Task SubmitAsync_NetworkErrorThen200_IsRetried()
    {
        var harness = new FalClientHarness();
        harness.Handler
            .Throw(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (queue.fal.test:443)"))
            .Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        var result = await Submit(harness);

        Assert.Equal(FalClientHarness.RequestId, result.RequestId);
        Assert.Equal(2, harness.Handler.Requests.Count);
        Assert.Single(harness.Delays);
    }

    [Fact]
    public async Task GetStatusAsync_AttemptTimesOutThen200_IsRetried()
    {
        var harness = new FalClientHarness();
        harness.Options.RequestTimeout = TimeSpan.FromMilliseconds(50);
        harness.Handler.Hang().Respond(HttpStatusCode.Accepted, """{ "status": "IN_PROGRESS" }""");

        var status = await harness.CreateClient().GetStatusAsync(FalClientHarness.StatusUrl, TestContext.Current.CancellationToken);

        Assert.Equal(FalRequestState.InProgress, status.State);
        Assert.Equal(2, harness.Handler.Requests.Count);
        Assert.Contains(harness.Logger.Entries, e => e.EventId.Id == 11);
    }

    [Fact]
    public async Task SubmitAsync_500UntilRetriesExhausted_ThrowsRetryableFalApiExceptionWithLastStatus()
    {
        var harness = new FalClientHarness();
        harness.Options.MaxRetries = 3;
        for (var i = 0; i < 3; i++)
        {
            harness.Handler.Respond(
                HttpStatusCode.InternalServerError, """{ "detail": "Internal server error", "error_type": "internal_error" }""");
        }

        harness.Handler.Respond(HttpStatusCode.ServiceUnavailable, """{ "detail": "Service Unavailable" }""");

        var error = await Assert.ThrowsAsync<FalApiException>(() => Submit(harness));

        Assert.Equal(4, harness.Handler.Requests.Count);
        Assert.Equal(3, harness.Delays.Count);
        Assert.Equal(503, error.Status);
        Assert.True(error.IsRetryable);
        Assert.Equal("fal answered 503: Service Unavailable (gave up after 4 attempts)", error.Message);
    }

    [Fact]
    public async Task SubmitAsync_Retries_BackOffExponentiallyWithJitterUpToTheCap()
    {
        var harness = new FalClientHarness();
        harness.Options.MaxRetries = 5;
        harness.Options.FirstRetryDelay = TimeSpan.FromSeconds(2);
        harness.Options.MaxRetryDelay = TimeSpan.FromSeconds(10);
        for (var i = 0; i < 6; i++)
        {
            harness.Handler.Respond(HttpStatusCode.ServiceUnavailable);
        }

        await Assert.ThrowsAsync<FalApiException>(() => Submit(harness));

        Assert.Equal(5, harness.Delays.Count);
        Assert.InRange(harness.Delays[0], TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(2.5));
        Assert.InRange(harness.Delays[1], TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5));
        Assert.InRange(harness.Delays[2], TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(10));
        Assert.InRange(harness.Delays[3], TimeSpan.FromSeconds(7.5), TimeSpan.FromSeconds(10));
        Assert.InRange(harness.Delays[4], TimeSpan.FromSeconds(7.5), TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task SubmitAsync_GatewayError_IsAnUnknownOutcomeAndNotSentAgain(HttpStatusCode status)
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(status);
        harness.Handler.Respond(HttpStatusCode.OK, """{ "request_id": "r2" }""");

        // The service behind the gateway may have queued it: a second POST could bill twice.
        await Assert.ThrowsAsync<FalSubmitOutcomeUnknownException>(() => Submit(harness));

        Assert.Single(harness.Handler.Requests);
        Assert.Empty(harness.Delays);
    }

    [Fact]
    public async Task SubmitAsync_NetworkErrorsUntilRetriesExhausted_ThrowsRetryableWithoutStatus()
    {
        var harness = new FalClientHarness();
        harness.Options.MaxRetries = 2;
        for (var i = 0; i < 3; i++)
        {
            harness.Handler.Throw(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (queue.fal.test:443)"));
        }

        var error = await Assert.ThrowsAsync<FalApiException>(() => Submit(harness));

        Assert.Equal(3, harness.Handler.Requests.Count);
        Assert.Null(error.Status);
        Assert.True(error.IsRetryable);
        Assert.IsType<HttpRequestException>(error.InnerException);
        Assert.Contains("Connection refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResultAsync_TimeoutsUntilRetriesExhausted_ThrowsRetryableTimeoutNotCancellation()
    {
        var harness = new FalClientHarness();
        harness.Options.MaxRetries = 1;
        harness.Options.RequestTimeout = TimeSpan.FromMilliseconds(30);
        harness.Handler.Hang().Hang();

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().GetResultAsync(FalClientHarness.ResponseUrl, TestContext.Current.CancellationToken));

        Assert.Equal(2, harness.Handler.Requests.Count);
        Assert.Null(error.Status);
        Assert.True(error.IsRetryable);
        Assert.IsType<TimeoutException>(error.InnerException);
        Assert.Equal(FalClientHarness.RequestId, error.RequestId);
    }

    [Fact]
    public async Task SubmitAsync_MaxRetriesZero_TriesOnce()
    {
        var harness = new FalClientHarness();
        harness.Options.MaxRetries = 0;
        harness.Handler.Respond(HttpStatusCode.ServiceUnavailable);

        var error = await Assert.ThrowsAsync<FalApiException>(() => Submit(harness));

        Assert.Single(harness.Handler.Requests);
        Assert.True(error.IsRetryable);
        Assert.Equal("fal answered 503 (Service Unavailable)", error.Message);
    }

    [Fact]
    public async Task SubmitAsync_401_FailsAtOnce()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.Unauthorized, """{ "detail": "No user found for Key ID and Secret" }""");

        var error = await Assert.ThrowsAsync<FalApiException>(() => Submit(harness));

        Assert.Single(harness.Handler.Requests);
        Assert.Empty(harness.Delays);
        Assert.Equal(401, error.Status);
        Assert.False(error.IsRetryable);
        Assert.Equal("fal answered 401: No user found for Key ID and Secret", error.Message);
    }

    [Theory]
    [InlineData("X-Fal-Retryable")]
    [InlineData("X-Fal-Needs-Retry")]
    public async Task SubmitAsync_500MarkedNotRetryable_FailsAtOnce(string header)
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.InternalServerError, """{ "detail": "Internal server error" }""",
            r => r.Headers.Add(header, "false"));

        var error = await Assert.ThrowsAsync<FalApiException>(() => Submit(harness));

        Assert.Single(harness.Handler.Requests);
        Assert.Equal(500, error.Status);
        Assert.False(error.IsRetryable);
    }

    [Fact]
    public async Task SubmitAsync_CallerCancelsDuringRequest_ThrowsOperationCanceledAtOnce()
    {
        var harness = new FalClientHarness();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Handler.Respond(async (_, token) =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, token);
            throw new InvalidOperationException("unreachable");
        });
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var call = Submit(harness, caller.Token);
        await started.Task.WaitAsync(TestContext.Current.CancellationToken);
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(harness.Handler.Requests);
        Assert.Empty(harness.Delays);
    }

    [Fact]
    public async Task SubmitAsync_CallerCancelsDuringBackoff_ThrowsOperationCanceledWithoutAnotherAttempt()
    {
        var harness = new FalClientHarness();
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        harness.Handler.Respond(HttpStatusCode.ServiceUnavailable).Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);
        harness.OnDelay = async (_, token) =>
        {
            await caller.CancelAsync();
            await Task.Delay(Timeout.Infinite, token);
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Submit(harness, caller.Token));

        Assert.Single(harness.Handler.Requests);
    }

    [Fact]
    public async Task SubmitAsync_TokenAlreadyCancelled_ThrowsOperationCanceledWithoutSending()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Submit(harness, new CancellationToken(canceled: true)));

        Assert.Empty(harness.Handler.Requests);
    }

    [Fact]
    public async Task SubmitAsync_Retrying_LogsAttemptAndStatus()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.TooManyRequests).Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        await Submit(harness);

        var retry = Assert.Single(harness.Logger.Entries, e => e.EventId.Id == 10);
        Assert.Contains(retry.State, p => p.Key == "StatusCode" && Equals(p.Value, 429));
        Assert.Contains(retry.State, p => p.Key == "Attempt" && Equals(p.Value, 1));
        Assert.Contains(retry.State, p => p.Key == "Target" && Equals(p.Value, FalClientHarness.Endpoint));
    }
}
