using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;

namespace Pipeline.Core.Api;

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
}

/// <summary>
/// <c>POST /api/fal/webhook?job={id}</c>: turns fal's delivery into the job's <see cref="VideoJobOrchestrator.FalCompletedEvent"/>.
/// Fast (one lookup, one raise) and idempotent: duplicates and late deliveries to a finished job change nothing.
/// </summary>
public partial class FalWebhookReceiver(FalWebhookVerifier verifier, ILogger<FalWebhookReceiver> logger)
{
    public virtual async Task<WebhookReceipt> ReceiveAsync(DurableTaskClient client, string? jobId, Func<string, string?> header, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!await verifier.IsAuthenticAsync(header, body, cancellationToken))
        {
            LogUnauthenticated(jobId);
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

        var progress = instance.SerializedCustomStatus is null ? null : instance.ReadCustomStatusAs<JobProgress>();
        // A job with a submit whose answer was lost takes any of its deliveries: that request may be billed after all.
        if (progress?.FalRequestId is { } submitted && progress.UnconfirmedSubmit != true && !string.Equals(submitted, completion.RequestId, StringComparison.Ordinal))
        {
            // The orchestrator checks this too (the webhook can beat the status update that records the request id).
            LogIgnored(jobId, completion.RequestId, "not the request this job submitted");
            return WebhookReceipt.Ignored;
        }

        try
        {
            await client.RaiseEventAsync(jobId!, VideoJobOrchestrator.FalCompletedEvent, completion, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Functions' client throws when the instance finished meanwhile; that delivery is simply late.
            var now = await client.GetInstanceAsync(jobId!, cancellationToken);
            if (now is null || now.IsCompleted)
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

        if (node is not JsonObject obj || obj["request_id"]?.GetValueKind() != JsonValueKind.String || obj["status"]?.GetValueKind() != JsonValueKind.String)
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
        Text(payload?["error_type"]) ?? ((payload?["detail"] as JsonArray)?.FirstOrDefault() is JsonObject first ? Text(first["type"]) : null);

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;

    private static long? Number(JsonNode? node) => node?.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue<long>(out var n) ? n : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "fal webhook for job {JobId} refused: not authentic")]
    private partial void LogUnauthenticated(string? jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "fal webhook for job {JobId} refused: not fal's body")]
    private partial void LogMalformed(string? jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "fal webhook for job {JobId} (request {FalRequestId}) ignored: {Reason}")]
    private partial void LogIgnored(string? jobId, string falRequestId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "fal webhook applied to job {JobId} (request {FalRequestId}, succeeded: {Succeeded})")]
    private partial void LogApplied(string jobId, string falRequestId, bool succeeded);

    [LoggerMessage(Level = LogLevel.Error, Message = "fal webhook for job {JobId} could not be raised")]
    private partial void LogRaiseFailed(Exception exception, string jobId);
}
