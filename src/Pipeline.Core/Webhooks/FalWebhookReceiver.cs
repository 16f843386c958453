using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Telemetry;

namespace Pipeline.Core.Webhooks;

/// <summary>How a webhook delivery was handled; hosts answer 2xx for Applied and Ignored (so fal stops retrying).</summary>
public enum WebhookReceipt
{
    /// <summary>The job got fal's verdict.</summary>
    Applied,

    /// <summary>Unknown or finished job, or a request id the job did not submit: acknowledged, nothing changed.</summary>
    Ignored,

    /// <summary>The delivery did not prove it came from fal (401).</summary>
    Unauthenticated,

    /// <summary>Not fal's webhook body (400).</summary>
    Malformed,

    /// <summary>The job could not be reached now; fal should retry (503).</summary>
    RetryLater,

    /// <summary>Larger than any delivery of fal's (413); not read past the limit.</summary>
    TooLarge,
}

/// <summary>
/// <c>POST /api/fal/webhook?job={id}&amp;token={token}</c>: turns fal's delivery into the job's
/// <see cref="VideoJobOrchestrator.FalCompletedEvent"/>. What costs nothing is checked before the body is read — the
/// URL's token is the job's (<see cref="WebhookToken"/>), the declared length within <see cref="FalWebhookOptions.MaxBodyBytes"/>,
/// fal's signature headers present, and fal's user id the app's when one is set — so a flood of strangers' deliveries
/// costs constant memory; the body is then read up to the limit, its signature verified, and it is raised. Fast (one
/// lookup, one raise) and idempotent: duplicates and late deliveries to a finished job change nothing.
/// </summary>
public partial class FalWebhookReceiver(
    FalWebhookVerifier verifier,
    WebhookToken tokens,
    Submits.SubmitLedger submits,
    IOptions<FalWebhookOptions> options,
    ILogger<FalWebhookReceiver> logger)
{
    private static readonly string[] SignatureHeaders =
    [
        "X-Fal-Webhook-Request-Id",
        "X-Fal-Webhook-User-Id",
        "X-Fal-Webhook-Timestamp",
        "X-Fal-Webhook-Signature",
    ];

    /// <param name="token">The URL's <c>token</c>.</param>
    /// <param name="declaredLength">The request's <c>Content-Length</c>, when it has one.</param>
    /// <param name="body">The request body, read here only once the delivery is admitted, and never past the limit.</param>
    public virtual async Task<WebhookReceipt> ReceiveAsync(
        DurableTaskClient client,
        string? jobId,
        string? token,
        Func<string, string?> header,
        long? declaredLength,
        Stream body,
        CancellationToken cancellationToken)
    {
        if (Admit(jobId, token, header, declaredLength) is { } refused)
        {
            return refused;
        }

        var bytes = await ReadAsync(body, options.Value.MaxBodyBytes, cancellationToken);
        if (bytes is null)
        {
            LogTooLarge(jobId);
            return WebhookReceipt.TooLarge;
        }

        try
        {
            return await ApplyAsync(client, jobId!, header, bytes, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Storage or the engine is away: fal retries a delivery that fails (up to 10 times over two hours).
            LogRaiseFailed(e, jobId!);
            return WebhookReceipt.RetryLater;
        }
    }

    /// <summary>What can be refused before the body is read; null when the delivery may be read.</summary>
    private WebhookReceipt? Admit(string? jobId, string? token, Func<string, string?> header, long? declaredLength)
    {
        if (!tokens.Matches(jobId, token))
        {
            LogUnauthenticated(jobId, "its URL does not carry the job's token");
            return WebhookReceipt.Unauthenticated;
        }

        if (declaredLength > options.Value.MaxBodyBytes)
        {
            LogTooLarge(jobId);
            return WebhookReceipt.TooLarge;
        }

        if (options.Value.VerifySignatures && SignatureHeaders.Any(h => string.IsNullOrEmpty(header(h))))
        {
            LogUnauthenticated(jobId, "a signature header is missing");
            return WebhookReceipt.Unauthenticated;
        }

        if (options.Value.UserId is { Length: > 0 } userId
            && !string.Equals(header("X-Fal-Webhook-User-Id"), userId, StringComparison.Ordinal))
        {
            LogUnauthenticated(jobId, "it was sent for another fal account");
            return WebhookReceipt.Unauthenticated;
        }

        return null;
    }

    /// <summary>The body, or null when it is longer than <paramref name="limit"/> (a chunked body declares no length).</summary>
    private static async Task<byte[]?> ReadAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[limit + 1];
        var length = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        return length > limit ? null : buffer[..length];
    }

    private async Task<WebhookReceipt> ApplyAsync(
        DurableTaskClient client,
        string jobId,
        Func<string, string?> header,
        ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken)
    {
        if (!await verifier.IsAuthenticAsync(header, body, cancellationToken))
        {
            LogUnauthenticated(jobId, "its signature does not verify");
            return WebhookReceipt.Unauthenticated;
        }

        if (Parse(body) is not { } completion)
        {
            LogMalformed(jobId);
            return WebhookReceipt.Malformed;
        }

        if (!JobIds.IsWellFormed(jobId))
        {
            LogIgnored(jobId, completion.RequestId, "no job of ours");
            return WebhookReceipt.Ignored;
        }

        // With inputs and outputs: the gRPC client returns the custom status (the submitted request id) only then.
        var instance = await client.GetInstanceAsync(jobId!, getInputsAndOutputs: true, cancellationToken);
        if (instance is null || instance.IsCompleted)
        {
            LogIgnored(jobId, completion.RequestId, instance is null ? "unknown job" : "job already finished");
            return WebhookReceipt.Ignored;
        }

        // fal's call carries no trace: the delivery joins the job's trace, linked to the request that brought it.
        var job = instance.ReadInputAs<VideoJob>();
        using var telemetry = JobTelemetry.Start(logger, "fal.webhook", jobId!, System.Diagnostics.ActivityKind.Consumer, job?.TraceParent)
            .Learn(job?.Mode, job?.Request?.EndUserId, completion.RequestId);
        telemetry.Tag("fal.status", completion.Succeeded ? "OK" : "ERROR");
        var progress = instance.SerializedCustomStatus is null ? null : instance.ReadCustomStatusAs<JobProgress>();
        // A job with a submit whose answer was lost takes any of its deliveries: that request may be billed after all.
        if (progress?.FalRequestId is { } submitted
            && progress.UnconfirmedSubmit != true
            && !string.Equals(submitted, completion.RequestId, StringComparison.Ordinal)
            && progress.FalRequestIds?.Contains(completion.RequestId) != true)
        {
            // The orchestrator checks this too (the webhook can beat the status update that records the request id).
            LogIgnored(jobId, completion.RequestId, "not the request this job submitted");
            return WebhookReceipt.Ignored;
        }

        try
        {
            if (progress?.FalRequestId is null || progress.UnconfirmedSubmit == true)
            {
                // fal has a request the job may not know of: a later submit attempt must find it and send nothing.
                await submits.RecordDeliveryAsync(jobId!, completion.RequestId, cancellationToken);
            }

            await client.RaiseEventAsync(jobId!, VideoJobOrchestrator.FalCompletedEvent, completion, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Functions' client throws when the instance finished meanwhile; that delivery is simply late.
            var now = await StillRunningAsync(client, jobId!, cancellationToken);
            if (now == false)
            {
                LogIgnored(jobId, completion.RequestId, "job finished meanwhile");
                return WebhookReceipt.Ignored;
            }

            LogRaiseFailed(e, jobId!);
            return WebhookReceipt.RetryLater;
        }

        LogApplied(jobId!, completion.RequestId, completion.Succeeded);
        return WebhookReceipt.Applied;
    }

    /// <summary>Whether the job still runs; null when storage cannot say (fal then retries the delivery).</summary>
    private static async Task<bool?> StillRunningAsync(DurableTaskClient client, string jobId, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetInstanceAsync(jobId, cancellationToken) is { IsCompleted: false };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>fal's body: <c>{ request_id, gateway_request_id, status: OK|ERROR, payload, error, payload_error }</c>.</summary>
    public static FalCompletion? Parse(ReadOnlyMemory<byte> body)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body.Span);
        }
        catch (JsonException)
        {
            return null;
        }

        if (node is not JsonObject obj
            || obj["request_id"]?.GetValueKind() != JsonValueKind.String
            || obj["status"]?.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        var requestId = obj["request_id"]!.GetValue<string>();
        var payload = obj["payload"] as JsonObject;
        if (obj["status"]!.GetValue<string>() == "OK")
        {
            // fal finished: without the video in the payload (fal could not serialize it) the job reads the result.
            var video = payload?["video"] as JsonObject;
            return new FalCompletion(requestId, true, Text(video?["url"]), Text(video?["content_type"]),
                Number(video?["file_size"]), Number(payload?["seed"]), null, null);
        }

        return new FalCompletion(requestId, false, null, null, null, null, ErrorText(obj, payload), ErrorType(payload));
    }

    /// <summary>fal's error line plus the details of its payload (<c>image_url: Failed to download the file…</c>).</summary>
    private static string ErrorText(JsonObject obj, JsonObject? payload)
    {
        var error = Text(obj["error"]) ?? "fal reported an error";
        var details = payload?["detail"] switch
        {
            JsonArray list => string.Join("; ", list.OfType<JsonObject>().Select(d =>
                $"{(d["loc"] as JsonArray)?.LastOrDefault()?.ToString() ?? "body"}: {Text(d["msg"])}")),
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            _ => Text(obj["payload_error"]),
        };
        return string.IsNullOrEmpty(details) ? error : $"{error}: {details}";
    }

    private static string? ErrorType(JsonObject? payload) =>
        Text(payload?["error_type"])
        ?? ((payload?["detail"] as JsonArray)?.FirstOrDefault() is JsonObject first ? Text(first["type"]) : null);

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;

    private static long? Number(JsonNode? node) =>
        node?.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue<long>(out var n) ? n : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "fal webhook for job {JobId} refused: {Reason}")]
    private partial void LogUnauthenticated(string? jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "fal webhook for job {JobId} refused: larger than any of fal's")]
    private partial void LogTooLarge(string? jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "fal webhook for job {JobId} refused: not fal's body")]
    private partial void LogMalformed(string? jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "fal webhook for job {JobId} (request {FalRequestId}) ignored: {Reason}")]
    private partial void LogIgnored(string? jobId, string falRequestId, string reason);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "fal webhook applied to job {JobId} (request {FalRequestId}, succeeded: {Succeeded})")]
    private partial void LogApplied(string jobId, string falRequestId, bool succeeded);

    [LoggerMessage(Level = LogLevel.Error, Message = "fal webhook for job {JobId} could not be raised")]
    private partial void LogRaiseFailed(Exception exception, string jobId);
}
