using System.Text;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Pipeline.Core.Api;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Requests;
using static Pipeline.UnitTests.Api.ClientHarness;

namespace Pipeline.UnitTests.Api;

public sealed class FalWebhookReceiverTests
{
    private const string JobId = "api-0123456789abcdef0123456789abcdef";
    private const string FalRequestId = "fal-req-0001";

    private static readonly string OkBody = $$"""
        {
          "request_id": "{{FalRequestId}}",
          "gateway_request_id": "{{FalRequestId}}",
          "status": "OK",
          "payload": {
            "video": { "url": "https://v3b.fal.media/files/b/octopus/output.mp4", "content_type": "video/mp4", "file_name": "output.mp4", "file_size": 1843211 },
            "seed": 3141592653
          },
          "error": null
        }
        """;

    private static readonly string ErrorBody = $$"""
        {
          "request_id": "{{FalRequestId}}",
          "gateway_request_id": "{{FalRequestId}}",
          "status": "ERROR",
          "error": "Invalid status code: 422",
          "payload": {
            "detail": [
              { "loc": ["body", "image_url"], "msg": "Failed to download the file. Please check if the URL is accessible.", "type": "file_download_error" },
              { "loc": ["body", "duration"], "msg": "Input should be 'auto', '4', '5'", "type": "one_of" }
            ]
          }
        }
        """;

    private readonly ClientHarness _client = new();
    private readonly Mock<FalWebhookVerifier> _verifier = new();

    public FalWebhookReceiverTests()
    {
        _verifier.Setup(v => v.IsAuthenticAsync(It.IsAny<Func<string, string?>>(), It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(true);
    }

    private static OrchestrationMetadata Running(string? falRequestId = FalRequestId) =>
        Metadata(JobId, OrchestrationRuntimeStatus.Running,
            customStatus: new JobProgress(falRequestId is null ? JobStages.Submitting : JobStages.Queued, VideoMode.ImageToVideo, falRequestId, 1));

    private Task<WebhookReceipt> ReceiveAsync(string? jobId, string body) =>
        new FalWebhookReceiver(_verifier.Object, NullLogger<FalWebhookReceiver>.Instance)
            .ReceiveAsync(_client.Client.Object, jobId, _ => null, Encoding.UTF8.GetBytes(body), TestContext.Current.CancellationToken);

    private void VerifyNoRaise() =>
        _client.Client.Verify(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()), Times.Never);

    private FalCompletion RaisedCompletion()
    {
        var raise = Assert.Single(_client.Client.Invocations, i => i.Method.Name == nameof(DurableTaskClient.RaiseEventAsync));
        Assert.Equal(JobId, raise.Arguments[0]);
        Assert.Equal(VideoJobOrchestrator.FalCompletedEvent, raise.Arguments[1]);
        return Assert.IsType<FalCompletion>(raise.Arguments[2]);
    }

    [Fact]
    public async Task ReceiveAsync_UnknownJob_IgnoredWithoutRaise()
    {
        _client.Instance = null;

        var receipt = await ReceiveAsync(JobId, OkBody);

        Assert.Equal(WebhookReceipt.Ignored, receipt);
        Assert.Equal(JobId, Assert.Single(_client.Lookups).Id);
        VerifyNoRaise();
    }

    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Completed)]
    [InlineData(OrchestrationRuntimeStatus.Failed)]
    [InlineData(OrchestrationRuntimeStatus.Terminated)]
    public async Task ReceiveAsync_FinishedJob_IgnoredWithoutRaise(OrchestrationRuntimeStatus status)
    {
        _client.Instance = Metadata(JobId, status);

        var receipt = await ReceiveAsync(JobId, OkBody);

        Assert.Equal(WebhookReceipt.Ignored, receipt);
        VerifyNoRaise();
    }

    [Fact]
    public async Task ReceiveAsync_GoodDelivery_AppliedAndRaisesFalCompletedWithVideoAndSeed()
    {
        _client.Instance = Running();

        var receipt = await ReceiveAsync(JobId, OkBody);

        Assert.Equal(WebhookReceipt.Applied, receipt);
        Assert.Equal(
            new FalCompletion(FalRequestId, true, "https://v3b.fal.media/files/b/octopus/output.mp4", "video/mp4", 1843211, 3141592653, null, null),
            RaisedCompletion());
    }

    [Fact]
    public async Task ReceiveAsync_PendingJob_Applied()
    {
        _client.Instance = Metadata(JobId, OrchestrationRuntimeStatus.Pending);

        Assert.Equal(WebhookReceipt.Applied, await ReceiveAsync(JobId, OkBody));
        Assert.True(RaisedCompletion().Succeeded);
    }

    [Fact]
    public async Task ReceiveAsync_CustomStatusNamesAnotherRequest_IgnoredWithoutRaise()
    {
        // Reaches the comparison as if the lookup had read the custom status (see the skipped test below).
        _client.AlwaysWithInputsAndOutputs = true;
        _client.Instance = Running(falRequestId: "the-request-this-job-submitted");

        var receipt = await ReceiveAsync(JobId, OkBody);

        Assert.Equal(WebhookReceipt.Ignored, receipt);
        VerifyNoRaise();
    }

    [Fact]
    public async Task ReceiveAsync_CustomStatusWithoutRequestIdYet_Applied()
    {
        _client.AlwaysWithInputsAndOutputs = true;
        _client.Instance = Running(falRequestId: null);

        Assert.Equal(WebhookReceipt.Applied, await ReceiveAsync(JobId, OkBody));
        Assert.Equal(FalRequestId, RaisedCompletion().RequestId);
    }

    [Fact]
    public async Task ReceiveAsync_RequestIdDiffersFromTheJobsFalRequestId_IgnoredWithoutRaise()
    {
        _client.Instance = Running(falRequestId: "the-request-this-job-submitted");

        var receipt = await ReceiveAsync(JobId, OkBody);

        Assert.Equal(WebhookReceipt.Ignored, receipt);
        VerifyNoRaise();
    }

    [Fact]
    public async Task ReceiveAsync_ErrorBody_RaisesFailedCompletionWithFalsErrorAndDetails()
    {
        _client.Instance = Running();

        var receipt = await ReceiveAsync(JobId, ErrorBody);

        Assert.Equal(WebhookReceipt.Applied, receipt);
        var completion = RaisedCompletion();
        Assert.False(completion.Succeeded);
        Assert.Null(completion.VideoUrl);
        Assert.Equal(
            "Invalid status code: 422: image_url: Failed to download the file. Please check if the URL is accessible.; duration: Input should be 'auto', '4', '5'",
            completion.Error);
        Assert.Equal("file_download_error", completion.ErrorType);
    }

    [Theory]
    [InlineData("""{ "detail": "Internal Server Error", "error_type": "internal_server_error" }""", "boom: Internal Server Error", "internal_server_error")]
    [InlineData("null", "boom", null)]
    [InlineData("""{ "detail": [ { "msg": "no loc", "type": "missing" } ] }""", "boom: body: no loc", "missing")]
    public void Parse_ErrorPayloadShapes_KeepsFalsMessage(string payload, string error, string? errorType)
    {
        var completion = FalWebhookReceiver.Parse(Encoding.UTF8.GetBytes($$"""{ "request_id": "r", "status": "ERROR", "error": "boom", "payload": {{payload}} }"""));

        Assert.Equal(new FalCompletion("r", false, null, null, null, null, error, errorType), completion);
    }

    [Fact]
    public void Parse_ErrorWithPayloadError_AppendsIt()
    {
        var completion = FalWebhookReceiver.Parse(Encoding.UTF8.GetBytes("""
            { "request_id": "r", "status": "ERROR", "error": "Response payload could not be serialized", "payload": null, "payload_error": "payload too large" }
            """));

        Assert.Equal("Response payload could not be serialized: payload too large", completion?.Error);
    }

    [Fact]
    public void Parse_ErrorWithoutErrorText_SaysFalReportedAnError()
    {
        var completion = FalWebhookReceiver.Parse(Encoding.UTF8.GetBytes("""{ "request_id": "r", "status": "ERROR" }"""));

        Assert.Equal("fal reported an error", completion?.Error);
    }

    [Fact]
    public void Parse_OkWithoutVideo_IsFalsSuccessWithoutItsUrlForTheJobToReadTheResult()
    {
        var completion = FalWebhookReceiver.Parse(Encoding.UTF8.GetBytes("""{ "request_id": "r", "status": "OK", "payload": { "seed": 5 } }"""));

        Assert.Equal(new FalCompletion("r", true, null, null, null, 5, null, null), completion);
    }

    [Fact]
    public void Parse_OkWithANullPayload_IsFalsSuccessWithoutItsUrl()
    {
        var completion = FalWebhookReceiver.Parse(Encoding.UTF8.GetBytes(
            """{ "request_id": "r", "status": "OK", "payload": null, "payload_error": "Failed to serialize the payload" }"""));

        Assert.Equal(new FalCompletion("r", true, null, null, null, null, null, null), completion);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{ "status": "OK", "payload": {} }""")]
    [InlineData("""{ "request_id": 5, "status": "OK" }""")]
    [InlineData("""{ "request_id": "r" }""")]
    [InlineData("""{ "request_id": "r", "status": true }""")]
    public async Task ReceiveAsync_MalformedBody_MalformedWithoutLookup(string body)
    {
        _client.Instance = Running();

        var receipt = await ReceiveAsync(JobId, body);

        Assert.Equal(WebhookReceipt.Malformed, receipt);
        Assert.Empty(_client.Lookups);
        VerifyNoRaise();
    }

    [Fact]
    public async Task ReceiveAsync_VerifierRefuses_UnauthenticatedWithoutLookup()
    {
        _client.Instance = Running();
        _verifier.Setup(v => v.IsAuthenticAsync(It.IsAny<Func<string, string?>>(), It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(false);

        var receipt = await ReceiveAsync(JobId, OkBody);

        Assert.Equal(WebhookReceipt.Unauthenticated, receipt);
        Assert.Empty(_client.Client.Invocations);
    }

    [Fact]
    public async Task ReceiveAsync_Always_GivesTheVerifierTheHeadersAndTheRawBody()
    {
        _client.Instance = Running();
        var bytes = Encoding.UTF8.GetBytes(OkBody);
        Func<string, string?> headers = name => name == "X-Fal-Webhook-Signature" ? "abcd" : null;
        byte[]? seen = null;
        string? signature = null;
        _verifier.Setup(v => v.IsAuthenticAsync(It.IsAny<Func<string, string?>>(), It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()))
            .Callback((Func<string, string?> header, ReadOnlyMemory<byte> body, CancellationToken _) =>
            {
                seen = body.ToArray();
                signature = header("X-Fal-Webhook-Signature");
            })
            .ReturnsAsync(true);

        await new FalWebhookReceiver(_verifier.Object, NullLogger<FalWebhookReceiver>.Instance)
            .ReceiveAsync(_client.Client.Object, JobId, headers, bytes, TestContext.Current.CancellationToken);

        Assert.Equal(bytes, seen);
        Assert.Equal("abcd", signature);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("someone-elses-instance")]
    [InlineData("api-0123/../x")]
    [InlineData("API-0123456789ABCDEF")]
    public async Task ReceiveAsync_JobIdNotWellFormed_IgnoredWithoutCallingTheClient(string? jobId)
    {
        var receipt = await ReceiveAsync(jobId, OkBody);

        Assert.Equal(WebhookReceipt.Ignored, receipt);
        Assert.Empty(_client.Client.Invocations);
    }

    [Fact]
    public async Task ReceiveAsync_RaiseFailsAfterTheJobFinished_Ignored()
    {
        _client.Instances.Enqueue(Running());
        _client.Instance = Metadata(JobId, OrchestrationRuntimeStatus.Completed);
        _client.Client.Setup(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("instance is not running"));

        var receipt = await ReceiveAsync(JobId, OkBody);

        Assert.Equal(WebhookReceipt.Ignored, receipt);
        Assert.Equal(2, _client.Lookups.Count);
    }

    [Fact]
    public async Task ReceiveAsync_RaiseFailsWhileTheJobRuns_RetryLater()
    {
        _client.Instance = Running();
        _client.Client.Setup(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("sidecar unavailable"));

        var receipt = await ReceiveAsync(JobId, OkBody);

        Assert.Equal(WebhookReceipt.RetryLater, receipt);
    }

    [Fact]
    public async Task ReceiveAsync_CallerCancels_Throws()
    {
        _client.Instance = Running();
        _client.Client.Setup(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new OperationCanceledException());

        await Assert.ThrowsAsync<OperationCanceledException>(() => ReceiveAsync(JobId, OkBody));
    }
}
