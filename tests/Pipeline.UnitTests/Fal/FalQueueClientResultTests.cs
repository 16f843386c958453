using System.Net;
using Pipeline.Core.Fal;

namespace Pipeline.UnitTests.Fal;

public sealed class FalQueueClientResultTests
{
    private const string DownloadFailed = """
        {
          "detail": [
            { "loc": ["body", "image_url"], "msg": "Failed to download the file. Please check if the URL is accessible.",
              "type": "file_download_error", "url": "https://docs.fal.ai/errors/#file_download_error", "input": "https://x.invalid/a.png" },
            { "loc": ["body", "image_urls", 2], "msg": "Unsupported image format.", "type": "unsupported_image_format",
              "url": "https://docs.fal.ai/errors/#unsupported_image_format", "ctx": { "supported_formats": ["png", "jpeg"] } }
          ]
        }
        """;

    [Fact]
    public async Task GetResultAsync_Completed_ParsesVideoAndSeed()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, FalClientHarness.VideoAnswer, r => r.Headers.Add("x-fal-request-id", "from-header"));

        var result = await harness.CreateClient().GetResultAsync(FalClientHarness.ResponseUrl, TestContext.Current.CancellationToken);

        var request = Assert.Single(harness.Handler.Requests);
        Assert.Equal(HttpMethod.Get, request.Method);
        Assert.Equal(FalClientHarness.ResponseUrl, request.Uri);
        Assert.Equal($"Key {FalClientHarness.Key}", request.Authorization?.ToString());
        Assert.Equal("from-header", result.RequestId);
        Assert.Equal(
            new FalFile(new Uri("https://v3b.fal.media/files/b/kangaroo/output.mp4"), "video/mp4", "output.mp4", 1843211),
            result.Video);
        Assert.Equal(3141592653, result.Seed);
    }

    [Fact]
    public async Task GetResultAsync_MinimalOutput_ToleratesMissingOptionalFields()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, """{ "video": { "url": "https://fal.media/v.mp4", "extra": true }, "timings": {} }""");

        var result = await harness.CreateClient().GetResultAsync(FalClientHarness.ResponseUrl, TestContext.Current.CancellationToken);

        Assert.Equal(
            new FalVideoResult(FalClientHarness.RequestId, new FalFile(new Uri("https://fal.media/v.mp4"), null, null, null), null),
            result);
    }

    [Fact]
    public async Task GetResultAsync_OutputWithoutVideo_ThrowsFalApiException()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.OK, """{ "images": [] }""");

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().GetResultAsync(FalClientHarness.ResponseUrl, TestContext.Current.CancellationToken));

        Assert.Equal(200, error.Status);
        Assert.Contains("video", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResultAsync_422WithDetailList_ThrowsWithFieldsAndNoRetry()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.UnprocessableEntity, DownloadFailed, r =>
        {
            r.Headers.Add("X-Fal-Retryable", "false");
            r.Headers.Add("x-fal-request-id", FalClientHarness.RequestId);
        });

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().GetResultAsync(FalClientHarness.ResponseUrl, TestContext.Current.CancellationToken));

        Assert.Single(harness.Handler.Requests);
        Assert.Empty(harness.Delays);
        Assert.Equal(422, error.Status);
        Assert.Equal("file_download_error", error.ErrorCode);
        Assert.Equal(FalClientHarness.RequestId, error.RequestId);
        Assert.False(error.IsRetryable);
        Assert.Equal(
            [
                new FalErrorDetail(
                    "image_url", "Failed to download the file. Please check if the URL is accessible.", "file_download_error"),
                new FalErrorDetail("image_urls", "Unsupported image format.", "unsupported_image_format"),
            ],
            error.Detail);
        Assert.StartsWith("fal answered 422: image_url: Failed to download the file", error.Message, StringComparison.Ordinal);
        Assert.Contains("image_urls: Unsupported image format.", error.Message, StringComparison.Ordinal);
        Assert.Contains("file_download_error", error.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResultAsync_WholeBodyError_ReportsFieldBody()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.UnprocessableEntity, """
            { "detail": [ { "loc": ["body"], "msg": "The content could not be processed.", "type": "content_policy_violation" } ] }
            """);

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().GetResultAsync(FalClientHarness.ResponseUrl, TestContext.Current.CancellationToken));

        Assert.Equal(
            new FalErrorDetail("body", "The content could not be processed.", "content_policy_violation"),
            Assert.Single(error.Detail));
        Assert.Equal("content_policy_violation", error.ErrorCode);
    }

    [Fact]
    public async Task GetResultAsync_StillInProgress400_ThrowsWithoutRetry()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.BadRequest, """{ "detail": "Request is still in progress" }""");

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().GetResultAsync(FalClientHarness.ResponseUrl, TestContext.Current.CancellationToken));

        Assert.Single(harness.Handler.Requests);
        Assert.Equal(400, error.Status);
        Assert.False(error.IsRetryable);
        Assert.Empty(error.Detail);
        Assert.Equal("fal answered 400: Request is still in progress", error.Message);
    }

    [Fact]
    public async Task GetResultAsync_FlatErrorWithErrorTypeHeader_ReportsErrorType()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(
            (HttpStatusCode)499,
            """{ "detail": "Request was cancelled by the client", "error_type": "client_cancelled" }""",
            r => r.Headers.Add("X-Fal-Error-Type", "client_cancelled"));

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().GetResultAsync(FalClientHarness.ResponseUrl, TestContext.Current.CancellationToken));

        Assert.Equal(499, error.Status);
        Assert.Equal("client_cancelled", error.ErrorCode);
        Assert.False(error.IsRetryable);
        Assert.Equal("fal answered 499: Request was cancelled by the client", error.Message);
    }

    [Fact]
    public async Task GetResultAsync_ErrorTypeOnlyInHeader_UsesTheHeader()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(
            HttpStatusCode.Forbidden, """{ "detail": "Forbidden" }""", r => r.Headers.Add("X-Fal-Error-Type", "forbidden"));

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().GetResultAsync(FalClientHarness.ResponseUrl, TestContext.Current.CancellationToken));

        Assert.Equal("forbidden", error.ErrorCode);
    }

    [Fact]
    public async Task GetResultAsync_ModelFailureReplayed_IsNotFetchedAgainButStaysRetryable()
    {
        // A failed request replays its 500 on every fetch; only a resubmit can help, which the caller decides.
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.InternalServerError, """
            { "detail": [ { "loc": ["body"], "msg": "Internal server error", "type": "internal_server_error" } ] }
            """, r => r.Headers.Add("X-Fal-Retryable", "true"));

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().GetResultAsync(FalClientHarness.ResponseUrl, TestContext.Current.CancellationToken));

        Assert.Single(harness.Handler.Requests);
        Assert.Equal(500, error.Status);
        Assert.Equal("internal_server_error", error.ErrorCode);
        Assert.True(error.IsRetryable);
    }

    [Fact]
    public async Task GetResultAsync_GatewayError503_IsRetriedThenSucceeds()
    {
        var harness = new FalClientHarness();
        harness.Handler
            .Respond(HttpStatusCode.ServiceUnavailable, """{ "detail": "Service Unavailable" }""")
            .Respond(HttpStatusCode.OK, FalClientHarness.VideoAnswer);

        var result = await harness.CreateClient().GetResultAsync(FalClientHarness.ResponseUrl, TestContext.Current.CancellationToken);

        Assert.Equal(2, harness.Handler.Requests.Count);
        Assert.Equal(3141592653, result.Seed);
    }

    [Fact]
    public async Task GetResultAsync_LongErrorBody_TruncatesResponseBody()
    {
        var harness = new FalClientHarness();
        var body = $$"""{ "detail": "{{new string('x', 5_000)}}" }""";
        harness.Handler.Respond(HttpStatusCode.NotFound, body);

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().GetResultAsync(FalClientHarness.ResponseUrl, TestContext.Current.CancellationToken));

        Assert.Equal(FalApiException.MaxResponseBodyLength, error.ResponseBody!.Length);
        Assert.Equal(body[..FalApiException.MaxResponseBodyLength], error.ResponseBody);
    }

    [Fact]
    public async Task GetResultAsync_NonJsonErrorBody_UsesTheReasonPhrase()
    {
        var harness = new FalClientHarness();
        harness.Handler.Respond(HttpStatusCode.Unauthorized, null, r => r.Content = new StringContent("<html>nope</html>"));

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().GetResultAsync(FalClientHarness.ResponseUrl, TestContext.Current.CancellationToken));

        Assert.Equal("fal answered 401 (Unauthorized)", error.Message);
        Assert.Equal("<html>nope</html>", error.ResponseBody);
        Assert.Null(error.ErrorCode);
    }
}
