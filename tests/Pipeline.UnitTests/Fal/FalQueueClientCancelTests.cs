using System.Net;
using Pipeline.Core.Fal;

namespace Pipeline.UnitTests.Fal;

public sealed class FalQueueClientCancelTests
{
    [Theory]
    [InlineData(HttpStatusCode.Accepted, """{ "status": "CANCELLATION_REQUESTED" }""", FalCancelOutcome.CancellationRequested)]
    [InlineData(HttpStatusCode.OK, """{ "status": "OK" }""", FalCancelOutcome.CancellationRequested)]
    [InlineData(HttpStatusCode.BadRequest, """{ "status": "ALREADY_COMPLETED" }""", FalCancelOutcome.AlreadyCompleted)]
    [InlineData(HttpStatusCode.NotFound, """{ "status": "NOT_FOUND" }""", FalCancelOutcome.NotFound)]
    [InlineData(HttpStatusCode.NotFound, """{ "detail": "Request not found" }""", FalCancelOutcome.NotFound)]
    [InlineData(HttpStatusCode.OK, """{ "status": "ALREADY_COMPLETED" }""", FalCancelOutcome.AlreadyCompleted)]
    public async Task CancelAsync_EachAnswer_MapsToOutcome(HttpStatusCode code, string body, FalCancelOutcome outcome)
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(code, body);

        var result = await harness.CreateClient().CancelAsync(FalClientHarness.CancelUrl, TestContext.Current.CancellationToken);

        Assert.Equal(outcome, result);
        var request = Assert.Single(harness.Handler.Requests);
        Assert.Equal(HttpMethod.Put, request.Method);
        Assert.Equal(FalClientHarness.CancelUrl, request.Uri);
        Assert.Equal($"Key {FalClientHarness.Key}", request.Authorization?.ToString());
    }

    [Fact]
    public async Task CancelAsync_Other400_ThrowsFalApiException()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.BadRequest, """{ "detail": "Malformed request id" }""");

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().CancelAsync(FalClientHarness.CancelUrl, TestContext.Current.CancellationToken));

        Assert.Equal(400, error.Status);
        Assert.Equal(FalClientHarness.RequestId, error.RequestId);
        Assert.Equal("fal answered 400: Malformed request id", error.Message);
    }

    [Fact]
    public async Task CancelAsync_502ThenAccepted_IsRetried()
    {
        var harness = new FalClientHarness();
        harness.Handler
            .Respond(HttpStatusCode.BadGateway)
            .Respond(HttpStatusCode.Accepted, """{ "status": "CANCELLATION_REQUESTED" }""");

        var result = await harness.CreateClient().CancelAsync(FalClientHarness.CancelUrl, TestContext.Current.CancellationToken);

        Assert.Equal(FalCancelOutcome.CancellationRequested, result);
        Assert.Equal(2, harness.Handler.Requests.Count);
    }
}
