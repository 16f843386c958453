using System.Net;
using System.Text.Json.Nodes;
using Pipeline.Core.Fal;

namespace Pipeline.UnitTests.Fal;

public sealed class FalQueueClientSecretTests
{
    private static readonly JsonObject Input = new() { ["prompt"] = "A kangaroo surfs at dawn" };

    [Fact]
    public async Task AllCalls_SuccessFailureRetryAndTimeout_NeverPutTheKeyInLogsOrExceptions()
    {
        var harness = new FalClientHarness();
        harness.Options.MaxRetries = 1;
        harness.Options.RequestTimeout = TimeSpan.FromMilliseconds(30);
        // A body echoing the request headers stands in for any answer that might contain the key.
        var echo = $$"""
            { "detail": "bad header Authorization: Key {{FalClientHarness.Key}}", "error_type": "{{FalClientHarness.KeySecret}}" }
            """;
        harness.Handler
            .Respond(HttpStatusCode.TooManyRequests).Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer)   // submit: retry, then ok
            .Throw(new HttpRequestException("Connection reset")).Hang()                                         // status: gives up
            .Respond(HttpStatusCode.InternalServerError, echo).Respond(HttpStatusCode.InternalServerError, echo) // result: gives up
            .Respond(HttpStatusCode.Unauthorized, echo)                                                       // cancel: refused
            .Respond(HttpStatusCode.UnprocessableEntity, $$"""
                { "detail": [ { "loc": ["body", "{{FalClientHarness.Key}}"], "msg": "{{FalClientHarness.KeySecret}}", "type": "x" } ] }
                """);                                                                                           // result: 422 echo
        var client = harness.CreateClient();
        var token = TestContext.Current.CancellationToken;
        var errors = new List<Exception>();

        await client.SubmitAsync(FalClientHarness.Endpoint, Input, new Uri("https://hooks.example/fal"), token);
        errors.Add(await Assert.ThrowsAsync<FalApiException>(() => client.GetStatusAsync(FalClientHarness.StatusUrl, token)));
        errors.Add(await Assert.ThrowsAsync<FalApiException>(() => client.GetResultAsync(FalClientHarness.ResponseUrl, token)));
        errors.Add(await Assert.ThrowsAsync<FalApiException>(() => client.CancelAsync(FalClientHarness.CancelUrl, token)));
        errors.Add(await Assert.ThrowsAsync<FalApiException>(() => client.GetResultAsync(FalClientHarness.ResponseUrl, token)));

        Assert.NotEmpty(harness.Logger.Entries);
        Assert.Contains(harness.Logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Debug);
        foreach (var entry in harness.Logger.Entries)
        {
            AssertNoSecret(entry.AllText);
        }

        foreach (var error in errors.Cast<FalApiException>())
        {
            AssertNoSecret(error.Message);
            AssertNoSecret(error.ToString());
            AssertNoSecret(error.ResponseBody ?? "");
            AssertNoSecret(error.ErrorCode ?? "");
            AssertNoSecret(string.Join('\n', error.Detail));
        }
    }

    [Fact]
    public async Task SubmitAsync_Always_SendsTheKeyOnlyInTheAuthorizationHeader()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        await harness.CreateClient().SubmitAsync(
            FalClientHarness.Endpoint, Input, new Uri("https://hooks.example/fal"), TestContext.Current.CancellationToken);

        var request = Assert.Single(harness.Handler.Requests);
        Assert.Equal(
            [
                $"Authorization: Key {FalClientHarness.Key}",
                "X-Fal-Object-Lifecycle-Preference: {\"expiration_duration_seconds\":86400}",
            ],
            request.Headers.Trim().Split('\n', StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
        AssertNoSecret(request.Uri.AbsoluteUri);
        AssertNoSecret(request.Body!);
    }

    [Fact]
    public void Options_ToString_DoesNotShowTheKey()
    {
        var options = new FalQueueClientOptions { Key = FalClientHarness.Key };

        AssertNoSecret(options.ToString()!);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task EveryMethod_MissingKey_ThrowsInvalidOperationExceptionWithoutSending(string? key)
    {
        var harness = new FalClientHarness();
        harness.Options.Key = key;
        var client = harness.CreateClient();
        var token = TestContext.Current.CancellationToken;

        var errors = new[]
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => client.SubmitAsync(FalClientHarness.Endpoint, Input, null, token)),
            await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetStatusAsync(FalClientHarness.StatusUrl, token)),
            await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResultAsync(FalClientHarness.ResponseUrl, token)),
            await Assert.ThrowsAsync<InvalidOperationException>(() => client.CancelAsync(FalClientHarness.CancelUrl, token)),
        };

        Assert.All(errors, e => Assert.Equal("FAL_KEY is not configured", e.Message));
        Assert.Empty(harness.Handler.Requests);
    }

    private static void AssertNoSecret(string text)
    {
        Assert.DoesNotContain(FalClientHarness.Key, text, StringComparison.Ordinal);
        Assert.DoesNotContain(FalClientHarness.KeySecret, text, StringComparison.Ordinal);
    }
}
