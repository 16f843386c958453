using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using FalEmulator.Faults;
using FalEmulator.Options;
using FalEmulator.Queue;
using FalEmulator.Recording;
using Microsoft.Extensions.Options;

namespace FalEmulator.Webhooks;

/// <summary>
/// Delivers the webhook of a completed request as fal does: one signed POST of
/// <c>{ request_id, gateway_request_id, status: OK|ERROR, payload, error }</c>, retried on a non-2xx answer or a timeout
/// (up to 10 retries over about two hours, scaled by the time factor), with the request's webhook faults applied.
/// </summary>
public sealed partial class WebhookDispatcher(
    IHttpClientFactory httpClientFactory,
    WebhookSigner signer,
    CallRecorder recorder,
    TimeProvider time,
    IOptions<FalEmulatorOptions> options,
    ILogger<WebhookDispatcher> logger)
{
    public const string HttpClientName = "fal-emulator-webhooks";

    /// <summary>The body fal posts for a completed request.</summary>
    public static JsonObject Body(QueuedRequest request)
    {
        var outcome = request.Outcome ?? throw new InvalidOperationException("the request has not completed");
        return new JsonObject
        {
            ["request_id"] = request.RequestId,
            ["gateway_request_id"] = request.GatewayRequestId,
            ["status"] = outcome.Succeeded ? "OK" : "ERROR",
            ["payload"] = outcome.Body.DeepClone(),
            ["error"] = outcome.Succeeded ? null : $"Invalid status code: {outcome.StatusCode}",
        };
    }

    public async Task DeliverAsync(QueuedRequest request, CancellationToken cancellationToken)
    {
        if (request.WebhookUrl is not { } url)
        {
            return;
        }

        var faults = request.Faults;
        if (faults.Webhook == WebhookFault.Drop || faults.Forgotten)
        {
            recorder.Record(new RecordedDelivery(time.GetUtcNow(), request.RequestId, url, 0, null, "dropped", false));
            LogDropped(request.RequestId);
            return;
        }

        var payload = Body(request);
        if (faults.Webhook == WebhookFault.NoPayload && payload["status"]!.GetValue<string>() == "OK")
        {
            payload["payload"] = null;
            payload["payload_error"] = "Failed to serialize the payload";
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(payload);
        var settings = options.Value;
        await Task.Delay(settings.Scale(faults.WebhookDelay), time, cancellationToken);

        var delivered = false;
        for (var attempt = 1; attempt <= settings.WebhookMaxRetries + 1 && !delivered; attempt++)
        {
            if (attempt > 1)
            {
                var backoff = settings.WebhookFirstRetryDelay * Math.Pow(2, attempt - 2);
                await Task.Delay(settings.Scale(backoff), time, cancellationToken);
            }

            delivered = await SendAsync(request, url, body, attempt, faults.Webhook == WebhookFault.BadSignature, cancellationToken);
        }

        if (!delivered)
        {
            LogGaveUp(request.RequestId, settings.WebhookMaxRetries);
            return;
        }

        for (var copy = 0; copy < faults.WebhookDuplicates; copy++)
        {
            await SendAsync(request, url, body, 1, faults.Webhook == WebhookFault.BadSignature, cancellationToken);
        }
    }

    private async Task<bool> SendAsync(
        QueuedRequest request, string url, byte[] body, int attempt, bool badSignature, CancellationToken cancellationToken)
    {
        System.Diagnostics.Activity.Current = null; // fal's delivery belongs to no trace of the caller's
        var signature = signer.Sign(request.RequestId, body, time.GetUtcNow(), rogue: badSignature);
        using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.Add("X-Fal-Webhook-Request-Id", signature.RequestId);
        message.Headers.Add("X-Fal-Webhook-User-Id", signature.UserId);
        message.Headers.Add("X-Fal-Webhook-Timestamp", signature.Timestamp);
        message.Headers.Add("X-Fal-Webhook-Signature", signature.SignatureHex);

        // A receiver gets at least a couple of real seconds even when the time factor shrinks fal's 15 s.
        var timeout = options.Value.Scale(options.Value.WebhookTimeout);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout < TimeSpan.FromSeconds(2) ? TimeSpan.FromSeconds(2) : timeout);
        int? status = null;
        try
        {
            using var response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(message, cts.Token);
            status = (int)response.StatusCode;
        }
        catch (Exception e)
            when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogDeliveryError(request.RequestId, attempt, e.Message);
        }

        var ok = status is >= 200 and < 300;
        recorder.Record(new RecordedDelivery(
            time.GetUtcNow(), request.RequestId, url, attempt, status, ok ? "delivered" : "failed", badSignature));
        return ok;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook of {RequestId} dropped (fault)")]
    private partial void LogDropped(string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook of {RequestId} not delivered after {Retries} retries")]
    private partial void LogGaveUp(string requestId, int retries);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook of {RequestId}, attempt {Attempt}, failed: {Error}")]
    private partial void LogDeliveryError(string requestId, int attempt, string error);
}
