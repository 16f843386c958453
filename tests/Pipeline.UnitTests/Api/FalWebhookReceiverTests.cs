using System.Text;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Pipeline.Core.Api;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Requests;
using Pipeline.Core.Webhooks;
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
            "video": {
              "url": "https://v3b.fal.media/files/b/octopus/output.mp4",
              "content_type": "video/mp4",
              "file_name": "output.mp4",
              "file_size": 1843211
            },
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
              {
                "loc": ["body", "image_url"],
                "msg": "Failed to download the file. Please check if the URL is accessible.",
                "type": "file_download_error"
              },
              { "loc": ["body", "duration"], "msg": "Input should be 'auto', '4', '5'", "type": "one_of" }
            ]
          }
        }
        """;

    private readonly ClientHarness _client = new();
    private readonly Mock<FalWebhookVerifier> _verifier = new();

    public FalWebhookReceiverTests()
    {
        _verifier.Setup(v => v.IsAuthenticAsync(
                It.IsAny<Func<string, string?>>(), It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(true);
    }

    private static OrchestrationMetadata Running(string? falRequestId = FalRequestId) =>
        Metadata(JobId, OrchestrationRuntimeStatus.Running,
            customStatus: new JobProgress(
                falRequestId is null ? JobStages.Submitting : JobStages.Queued, VideoMode.ImageToVideo, falRequestId, 1));

    private static readonly WebhookToken Tokens = new(
        Microsoft.Extensions.Options.Options.Create(new FalWebhookOptions { UrlSecret = "test-webhook-secret" }),
        Microsoft.Extensions.Options.Options.Create(new Pipeline.Core.Fal.FalQueueClientOptions()));

    private static FalWebhookOptions Options { get; } = new() { UrlSecret = "test-webhook-secret", VerifySignatures = false };

    private FalWebhookReceiver Receiver(FalWebhookOptions? options = null) =>
        new(
            _verifier.Object,
            Tokens,
            Submits,
            Microsoft.Extensions.Options.Options.Create(options ?? Options),
            NullLogger<FalWebhookReceiver>.Instance);

    private Activities.InMemorySubmitLedger Submits { get; } = new(TimeProvider.System);

    private Task<WebhookReceipt> ReceiveAsync(string? jobId, string body) =>
        ReceiveAsync(jobId, body, jobId is null ? null : Tokens.For(jobId));

    private Task<WebhookReceipt> ReceiveAsync(
        string? jobId,
        string body,
        string? token,
        Func<string, string?>? header = null,
        FalWebhookOptions? options = null,
        long? declaredLength = null) =>
        Receiver(options).ReceiveAsync(_client.Client.Object, jobId, token, header ?? (_ => null), declaredLength,
            new MemoryStream(Encoding.UTF8.GetBytes(body)), TestContext.Current.CancellationToken);

    private void VerifyNoRaise() =>
        _client.Client.Verify(
            c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()),
            Times.Never);

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
            new FalCompletion(
                FalRequestId, true, "https://v3b.fal.media/files/b/octopus/output.mp4", "video/mp4", 1843211, 3141592653, null, null),
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
            "Invalid status code: 422: image_url: Failed to download the file. Please check if the URL is accessible.; "
                + "duration: Input should be 'auto', '4', '5'",
            completion.Error);
        Assert.Equal("file_download_error", completion.ErrorType);
    }

    [Theory]
    [InlineData(
        """{ "detail": "Internal Server Error", "error_type": "internal_server_error" }""",
        "boom: Internal Server Error",
        "internal_server_error")]
    [InlineData("null", "boom", null)]
    [InlineData("""{ "detail": [ { "msg": "no loc", "type": "missing" } ] }""", "boom: body: no loc", "missing")]
    public void Parse_ErrorPayloadShapes_KeepsFalsMessage(string payload, string error, string? errorType)
    {
        var completion = FalWebhookReceiver.Parse(Encoding.UTF8.GetBytes(
            $$"""{ "request_id": "r", "status": "ERROR", "error": "boom", "payload": {{payload}} }"""));

        Assert.Equal(new FalCompletion("r", false, null, null, null, null, error, errorType), completion);
    }

    [Fact]
    public void Parse_ErrorWithPayloadError_AppendsIt()
    {
        var completion = FalWebhookReceiver.Parse(Encoding.UTF8.GetBytes("""
            {
              "request_id": "r",
              "status": "ERROR",
              "error": "Response payload could not be serialized",
              "payload": null,
              "payload_error": "payload too large"
            }
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
        var completion = FalWebhookReceiver.Parse(
            Encoding.UTF8.GetBytes("""{ "request_id": "r", "status": "OK", "payload": { "seed": 5 } }"""));

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
        _verifier.Setup(v => v.IsAuthenticAsync(
                It.IsAny<Func<string, string?>>(), It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()))
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
        _verifier.Setup(v => v.IsAuthenticAsync(
                It.IsAny<Func<string, string?>>(), It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()))
            .Callback((Func<string, string?> header, ReadOnlyMemory<byte> body, CancellationToken _) =>
            {
                seen = body.ToArray();
                signature = header("X-Fal-Webhook-Signature");
            })
            .ReturnsAsync(true);

        await Receiver().ReceiveAsync(
            _client.Client.Object,
            JobId,
            Tokens.For(JobId),
            headers,
            bytes.Length,
            new MemoryStream(bytes),
            TestContext.Current.CancellationToken);

        Assert.Equal(bytes, seen);
        Assert.Equal("abcd", signature);
    }

    [Theory]
    [InlineData("someone-elses-instance")]
    [InlineData("api-0123/../x")]
    [InlineData("API-0123456789ABCDEF")]
    public async Task ReceiveAsync_JobIdNotWellFormed_IgnoredWithoutCallingTheClient(string jobId)
    {
        var receipt = await ReceiveAsync(jobId, OkBody);

        Assert.Equal(WebhookReceipt.Ignored, receipt);
        Assert.Empty(_client.Client.Invocations);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "")]
    [InlineData(JobId, null)]
    [InlineData(JobId, "")]
    [InlineData(JobId, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData(JobId, "not-a-token")]
    public async Task ReceiveAsync_UrlWithoutTheJobsToken_IsRefusedBeforeTheBodyIsRead(string? jobId, string? token)
    {
        var receipt = await Receiver().ReceiveAsync(
            _client.Client.Object, jobId, token, _ => "x", null, new UnreadableStream(), TestContext.Current.CancellationToken);

        Assert.Equal(WebhookReceipt.Unauthenticated, receipt);
        Assert.Empty(_client.Client.Invocations);
    }

    [Fact]
    public async Task ReceiveAsync_AnotherJobsToken_IsRefused()
    {
        var receipt = await ReceiveAsync(JobId, OkBody, Tokens.For("api-ffffffffffffffffffffffffffffffff"));

        Assert.Equal(WebhookReceipt.Unauthenticated, receipt);
        VerifyNoRaise();
    }

    [Fact]
    public async Task ReceiveAsync_DeclaredLengthPastTheLimit_IsTooLargeBeforeTheBodyIsRead()
    {
        var receipt = await Receiver().ReceiveAsync(
            _client.Client.Object,
            JobId,
            Tokens.For(JobId),
            _ => "x",
            30_000_000,
            new UnreadableStream(),
            TestContext.Current.CancellationToken);

        Assert.Equal(WebhookReceipt.TooLarge, receipt);
        Assert.Empty(_client.Client.Invocations);
    }

    [Fact]
    public async Task ReceiveAsync_UndeclaredBodyPastTheLimit_IsTooLargeAndReadNoFurther()
    {
        var endless = new CountingStream(new byte[4096]);

        var receipt = await Receiver().ReceiveAsync(
            _client.Client.Object, JobId, Tokens.For(JobId), _ => "x", null, endless, TestContext.Current.CancellationToken);

        Assert.Equal(WebhookReceipt.TooLarge, receipt);
        Assert.InRange(endless.BytesRead, Options.MaxBodyBytes + 1, Options.MaxBodyBytes + 4096);
        VerifyNoRaise();
    }

    [Fact]
    public async Task ReceiveAsync_VerifyingAndASignatureHeaderMissing_IsRefusedBeforeTheBodyIsRead()
    {
        var verifying = new FalWebhookOptions { UrlSecret = "test-webhook-secret", VerifySignatures = true };
        Func<string, string?> headers = name => name == "X-Fal-Webhook-Signature" ? null : "x";

        var receipt = await Receiver(verifying).ReceiveAsync(
            _client.Client.Object,
            JobId,
            Tokens.For(JobId),
            headers,
            null,
            new UnreadableStream(),
            TestContext.Current.CancellationToken);

        Assert.Equal(WebhookReceipt.Unauthenticated, receipt);
    }

    [Fact]
    public async Task ReceiveAsync_AnotherFalAccountsDelivery_IsRefusedWhenTheAppsUserIdIsSet()
    {
        _client.Instance = Running();
        var ours = new FalWebhookOptions { UrlSecret = "test-webhook-secret", VerifySignatures = false, UserId = "our-fal-user" };

        var theirs = await ReceiveAsync(
            JobId, OkBody, Tokens.For(JobId), name => name == "X-Fal-Webhook-User-Id" ? "attacker" : null, ours);
        var mine = await ReceiveAsync(
            JobId, OkBody, Tokens.For(JobId), name => name == "X-Fal-Webhook-User-Id" ? "our-fal-user" : null, ours);

        Assert.Equal(WebhookReceipt.Unauthenticated, theirs);
        Assert.Equal(WebhookReceipt.Applied, mine);
    }

    [Fact]
    public void Token_IsTheSameForTheSameSecretAndJobAndDiffersOtherwise()
    {
        var other = new WebhookToken(Microsoft.Extensions.Options.Options.Create(new FalWebhookOptions { UrlSecret = "another-secret" }),
            Microsoft.Extensions.Options.Options.Create(new Pipeline.Core.Fal.FalQueueClientOptions()));
        var fromFalKey = new WebhookToken(Microsoft.Extensions.Options.Options.Create(new FalWebhookOptions()),
            Microsoft.Extensions.Options.Options.Create(new Pipeline.Core.Fal.FalQueueClientOptions { Key = "id:secret" }));

        Assert.Equal(43, Tokens.For(JobId).Length);
        Assert.True(Tokens.Matches(JobId, Tokens.For(JobId)));
        Assert.NotEqual(Tokens.For(JobId), Tokens.For("api-ffffffffffffffffffffffffffffffff"));
        Assert.NotEqual(Tokens.For(JobId), other.For(JobId));
        Assert.DoesNotContain("secret", fromFalKey.For(JobId), StringComparison.Ordinal);
        Assert.All(Tokens.For(JobId), c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
    }

    /// <summary>A body that must not be read.</summary>
    private sealed class UnreadableStream : MemoryStream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("the body was read");

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the body was read");
    }

    /// <summary>A body that never ends (a chunked flood), counting what was read of it.</summary>
    private sealed class CountingStream(byte[] chunk) : MemoryStream
    {
        public long BytesRead { get; private set; }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = Math.Min(buffer.Length, chunk.Length);
            chunk.AsMemory(0, n).CopyTo(buffer);
            BytesRead += n;
            return ValueTask.FromResult(n);
        }
    }

    [Fact]
    public async Task ReceiveAsync_RaiseFailsAfterTheJobFinished_Ignored()
    {
        _client.Instances.Enqueue(Running());
        _client.Instance = Metadata(JobId, OrchestrationRuntimeStatus.Completed);
        _client.Client.Setup(c => c.RaiseEventAsync(
                It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("instance is not running"));

        var receipt = await ReceiveAsync(JobId, OkBody);

        Assert.Equal(WebhookReceipt.Ignored, receipt);
        Assert.Equal(2, _client.Lookups.Count);
    }

    [Fact]
    public async Task ReceiveAsync_RaiseFailsWhileTheJobRuns_RetryLater()
    {
        _client.Instance = Running();
        _client.Client.Setup(c => c.RaiseEventAsync(
                It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("sidecar unavailable"));

        var receipt = await ReceiveAsync(JobId, OkBody);

        Assert.Equal(WebhookReceipt.RetryLater, receipt);
    }

    [Fact]
    public async Task ReceiveAsync_CallerCancels_Throws()
    {
        _client.Instance = Running();
        _client.Client.Setup(c => c.RaiseEventAsync(
                It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new OperationCanceledException());

        await Assert.ThrowsAsync<OperationCanceledException>(() => ReceiveAsync(JobId, OkBody));
    }
}
