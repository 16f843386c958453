using System.Net;
using System.Text.Json.Nodes;
using Pipeline.Core.Fal;

namespace Pipeline.UnitTests.Fal;

public sealed class FalQueueClientSubmitTests
{
    private static JsonObject Input() => new()
    {
        ["prompt"] = "A kangaroo surfs at dawn",
        ["image_url"] = "https://account.blob.core.windows.net/in/cat.png?sv=2025&sig=SAS-SIGNATURE-SECRET",
        ["duration"] = "5",
    };

    [Fact]
    public async Task SubmitAsync_WithWebhook_PostsToFullEndpointIdWithEncodedWebhookAndKeyHeader()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);
        var webhook = new Uri("https://func.example.net/api/fal/webhook?code=FUNCTION-KEY&job=a b");

        await harness.CreateClient().SubmitAsync(FalClientHarness.Endpoint, Input(), webhook, TestContext.Current.CancellationToken);

        var request = Assert.Single(harness.Handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("https", request.Uri.Scheme);
        Assert.Equal("queue.fal.test", request.Uri.Host);
        Assert.Equal("/bytedance/seedance-2.0/fast/image-to-video", request.Uri.AbsolutePath);
        Assert.Equal("?fal_webhook=" + Uri.EscapeDataString(webhook.AbsoluteUri), request.Uri.Query);
        Assert.Equal(webhook.AbsoluteUri, Uri.UnescapeDataString(request.Uri.Query["?fal_webhook=".Length..]));
        Assert.Equal("Key", request.Authorization?.Scheme);
        Assert.Equal(FalClientHarness.Key, request.Authorization?.Parameter);
        Assert.Equal("application/json", request.ContentType?.MediaType);
        Assert.True(JsonNode.DeepEquals(Input(), JsonNode.Parse(request.Body!)));
    }

    [Fact]
    public async Task SubmitAsync_WithoutWebhook_SendsNoQuery()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        await harness.CreateClient().SubmitAsync(FalClientHarness.Endpoint, Input(), null, TestContext.Current.CancellationToken);

        Assert.Equal(
            "https://queue.fal.test/bytedance/seedance-2.0/fast/image-to-video",
            Assert.Single(harness.Handler.Requests).Uri.AbsoluteUri);
    }

    [Fact]
    public async Task SubmitAsync_BaseUrlWithPath_KeepsThePath()
    {
        var harness = new FalClientHarness();
        harness.Options.BaseUrl = new Uri("http://127.0.0.1:8090/fal/");
        harness.Handler.Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        await harness.CreateClient().SubmitAsync(FalClientHarness.Endpoint, Input(), null, TestContext.Current.CancellationToken);

        Assert.Equal(
            "http://127.0.0.1:8090/fal/bytedance/seedance-2.0/fast/image-to-video",
            Assert.Single(harness.Handler.Requests).Uri.AbsoluteUri);
    }

    [Fact]
    public async Task SubmitAsync_Accepted_ParsesTheAnswer()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);

        var result = await harness.CreateClient().SubmitAsync(
            FalClientHarness.Endpoint, Input(), null, TestContext.Current.CancellationToken);

        Assert.Equal(FalClientHarness.RequestId, result.RequestId);
        Assert.Equal("gw-" + FalClientHarness.RequestId, result.GatewayRequestId);
        Assert.Equal(FalClientHarness.StatusUrl, result.StatusUrl);
        Assert.Equal(FalClientHarness.ResponseUrl, result.ResponseUrl);
        Assert.Equal(FalClientHarness.CancelUrl, result.CancelUrl);
        Assert.Equal(2, result.QueuePosition);
    }

    [Fact]
    public async Task SubmitAsync_AnswerWithOnlyRequestId_BuildsOwnerAliasUrls()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, """{ "request_id": "r-1" }""");

        var result = await harness.CreateClient().SubmitAsync(
            FalClientHarness.Endpoint, Input(), null, TestContext.Current.CancellationToken);

        Assert.Equal("r-1", result.RequestId);
        Assert.Null(result.GatewayRequestId);
        Assert.Null(result.QueuePosition);
        Assert.Equal("https://queue.fal.test/bytedance/seedance-2.0/requests/r-1/status", result.StatusUrl.AbsoluteUri);
        Assert.Equal("https://queue.fal.test/bytedance/seedance-2.0/requests/r-1", result.ResponseUrl.AbsoluteUri);
        Assert.Equal("https://queue.fal.test/bytedance/seedance-2.0/requests/r-1/cancel", result.CancelUrl.AbsoluteUri);
    }

    [Theory]
    [InlineData("""{ "status": "IN_QUEUE" }""")]
    [InlineData("<html>queued</html>")]
    [InlineData("")]
    public async Task SubmitAsync_SuccessWithoutRequestId_IsAnUnknownOutcomeNotARefusal(string body)
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, body);

        // fal took it (2xx) but did not say under which id: it may be queued and billed.
        var error = await Assert.ThrowsAsync<FalSubmitOutcomeUnknownException>(() =>
            harness.CreateClient().SubmitAsync(FalClientHarness.Endpoint, Input(), null, TestContext.Current.CancellationToken));

        Assert.Contains("request_id", error.Message, StringComparison.Ordinal);
        Assert.Single(harness.Handler.Requests);
    }

    [Theory]
    [InlineData("seedance")]
    [InlineData("https://evil.example/bytedance/seedance")]
    [InlineData("bytedance/../../admin")]
    [InlineData("bytedance/seedance?x=1")]
    [InlineData("bytedance//seedance")]
    [InlineData("bytedance/seedance%2F..")]
    [InlineData("@evil.example/x")]
    public async Task SubmitAsync_EndpointIdThatCouldLeaveTheBaseUrl_ThrowsArgumentExceptionWithoutSending(string endpointId)
    {
        var harness = new FalClientHarness();

        await Assert.ThrowsAsync<ArgumentException>(() =>
            harness.CreateClient().SubmitAsync(endpointId, Input(), null, TestContext.Current.CancellationToken));

        Assert.Empty(harness.Handler.Requests);
    }

    [Fact]
    public async Task SubmitAsync_RelativeWebhook_ThrowsArgumentException()
    {
        var harness = new FalClientHarness();

        await Assert.ThrowsAsync<ArgumentException>(() => harness.CreateClient().SubmitAsync(
            FalClientHarness.Endpoint, Input(), new Uri("/api/webhook", UriKind.Relative), TestContext.Current.CancellationToken));

        Assert.Empty(harness.Handler.Requests);
    }

    [Fact]
    public async Task SubmitAsync_Accepted_LogsEndpointAndRequestIdButNeitherBodyNorWebhook()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);
        var webhook = new Uri("https://func.example.net/api/fal/webhook?code=FUNCTION-KEY");

        await harness.CreateClient().SubmitAsync(FalClientHarness.Endpoint, Input(), webhook, TestContext.Current.CancellationToken);

        var all = string.Join('\n', harness.Logger.Entries.Select(e => e.AllText));
        Assert.Contains(FalClientHarness.Endpoint, all, StringComparison.Ordinal);
        Assert.Contains(FalClientHarness.RequestId, all, StringComparison.Ordinal);
        Assert.DoesNotContain("SAS-SIGNATURE-SECRET", all, StringComparison.Ordinal);
        Assert.DoesNotContain("kangaroo", all, StringComparison.Ordinal);
        Assert.DoesNotContain("FUNCTION-KEY", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitAsync_422AtSubmit_ThrowsWithoutRetry()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.UnprocessableEntity, """
            { "detail": [ { "loc": ["body", "prompt"], "msg": "Field required", "type": "missing" } ] }
            """);

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().SubmitAsync(FalClientHarness.Endpoint, Input(), null, TestContext.Current.CancellationToken));

        Assert.Single(harness.Handler.Requests);
        Assert.Equal(422, error.Status);
        Assert.Equal("missing", error.ErrorCode);
        Assert.Null(error.RequestId);
        Assert.Equal(new FalErrorDetail("prompt", "Field required", "missing"), Assert.Single(error.Detail));
    }
}
