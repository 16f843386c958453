using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FalEmulator.Faults;
using FalEmulator.Model;
using FalEmulator.Queue;
using FalEmulator.Recording;
using Microsoft.AspNetCore.Mvc;

namespace FalEmulator.Api;

/// <summary>
/// fal's queue API (fal-protocol.md): submit to the full endpoint id, then status, result and cancel under the
/// owner/alias prefix (the full id is accepted there too, as older clients build it).
/// </summary>
public static class QueueApi
{
    public const string FaultsHeader = "X-Fal-Emulator-Faults";

    public static IEndpointRouteBuilder MapQueueApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/{**endpointId}", SubmitAsync).WithName("Submit");
        app.MapMethods("/{**path}", [HttpMethods.Get, HttpMethods.Put], Dispatch).WithName("RequestOperations");
        return app;
    }

    public const string LifecyclePreferenceHeader = "X-Fal-Object-Lifecycle-Preference";

    private static async Task<IResult> SubmitAsync(
        HttpContext http,
        string endpointId,
        [FromQuery(Name = "fal_webhook")] string? webhook,
        RequestStore store,
        RequestRunner runner,
        InstanceFaults instanceFaults,
        SubmitRefusals refusals,
        ApiKeyCheck auth,
        TimeProvider time,
        Microsoft.Extensions.Options.IOptions<Options.FalEmulatorOptions> options)
    {
        CallRecording.Classify(http, CallKind.Submit);
        if (auth.Refuse(http) is { } refused)
        {
            return refused;
        }

        endpointId = endpointId.Trim('/');
        if (SeedanceEndpoints.ModeOf(endpointId) is not { } mode)
        {
            return Results.Json(new JsonObject { ["detail"] = $"Application '{endpointId}' not found" }, statusCode: 404);
        }

        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        var bytes = buffer.ToArray();
        JsonNode? body;
        try
        {
            body = JsonNode.Parse(bytes);
        }
        catch (JsonException)
        {
            return FlatError(400, "The request body is not valid JSON", "bad_request");
        }

        if (webhook is not null && !(Uri.TryCreate(webhook, UriKind.Absolute, out var hook) && hook.Scheme is "http" or "https"))
        {
            return FlatError(400, "fal_webhook must be an absolute http(s) URL", "bad_request");
        }

        FaultPlan faults;
        try
        {
            faults = FaultPlan.Parse(http.Request.Headers[FaultsHeader].ToString(), instanceFaults.Plan);
            if (body is JsonObject obj && obj["prompt"] is JsonValue p && p.TryGetValue<string>(out var prompt)
                && FaultPlan.ExtractFromPrompt(prompt, out _) is { } marker)
            {
                faults = FaultPlan.Parse(marker, faults);
            }
        }
        catch (FormatException e)
        {
            return FlatError(400, $"Emulator fault spec: {e.Message}", "bad_request");
        }

        var fate = refusals.Next(endpointId, bytes, faults);
        if (fate is SubmitFate.Refused429 or SubmitFate.Refused500)
        {
            return fate == SubmitFate.Refused429
                ? FlatError(429, "Too many requests: rate limit exceeded", "rate_limited")
                : FlatError(500, "Internal server error", "internal_error");
        }

        var (input, errors) = SeedanceInputValidator.Validate(mode, body);
        var request = new QueuedRequest(Guid.NewGuid().ToString(), endpointId, input, errors, webhook, faults,
            time.GetUtcNow(), store.NextSequence())
        {
            OutputLifetime = LifecyclePreference(http.Request.Headers[LifecyclePreferenceHeader].ToString()),
            SubmittedBody = Encoding.UTF8.GetString(bytes),
        };
        store.Add(request);
        CallRecording.Classify(http, CallKind.Submit, request.RequestId);
        var baseUrl = BaseUrl(http);
        runner.Start(request, options.Value.FilesBaseUrl is { Length: > 0 } files ? files.TrimEnd('/') : baseUrl);
        if (faults.SubmitDelay > TimeSpan.Zero)
        {
            await Task.Delay(options.Value.Scale(faults.SubmitDelay), time, http.RequestAborted); // queued; the answer is slow
        }

        if (fate == SubmitFate.AnswerLost)
        {
            // Queued and billed, but the caller never hears it: the connection drops before the answer.
            http.Abort();
            return Results.Empty;
        }

        if (fate == SubmitFate.AnsweredWithoutId)
        {
            // Queued and billed, answered 200, but the answer names no request.
            return Results.Json(new JsonObject { ["status"] = "IN_QUEUE" });
        }

        http.Response.Headers["x-fal-request-id"] = request.RequestId;
        var answerBaseUrl = faults.AnswerHost is { } host ? $"{http.Request.Scheme}://{host}" : baseUrl;
        var answer = StatusBody(request, answerBaseUrl, store, includeLogs: false);
        answer["gateway_request_id"] = request.GatewayRequestId;
        return Results.Json(answer);
    }

    private static IResult Dispatch(HttpContext http, string path, RequestStore store, ApiKeyCheck auth, TimeProvider time)
    {
        // .../{owner}/{alias}[/{endpoint path}]/requests/{id}[/status|/cancel][/]
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.IndexOf(segments, "requests", 2);
        if (at < 2 || at + 1 >= segments.Length)
        {
            CallRecording.Classify(http, CallKind.Other);
            return Results.Json(new JsonObject { ["detail"] = "Not Found" }, statusCode: 404);
        }

        var prefix = string.Join('/', segments[..at]);
        var app = SeedanceEndpoints.AppOf(prefix);
        var requestId = segments[at + 1];
        var tail = string.Join('/', segments[(at + 2)..]);
        var isGet = HttpMethods.IsGet(http.Request.Method);
        var kind = (tail, isGet) switch
        {
            ("", true) => CallKind.Result,
            ("status", true) => CallKind.Status,
            ("cancel", false) => CallKind.Cancel,
            _ => CallKind.Other,
        };
        CallRecording.Classify(http, kind, requestId);
        if (kind == CallKind.Other)
        {
            return Results.Json(new JsonObject { ["detail"] = "Not Found" }, statusCode: 404);
        }

        if (auth.Refuse(http) is { } refused)
        {
            return refused;
        }

        var known = prefix == app || SeedanceEndpoints.ModeOf(prefix) is not null;
        var request = known ? store.Find(app, requestId) : null;
        if (request?.Faults.Forgotten == true)
        {
            request = null; // fal lost it
        }

        http.Response.Headers["x-fal-request-id"] = requestId;
        return kind switch
        {
            CallKind.Status => request is null ? NotFound() : Status(http, request, store),
            CallKind.Result => request is null ? NotFound() : Result(request),
            _ => request is null ? Results.Json(new JsonObject { ["status"] = "NOT_FOUND" }, statusCode: 404) : Cancel(request, time),
        };
    }

    /// <summary>fal's output retention header: <c>{"expiration_duration_seconds": N}</c>; null when absent or null.</summary>
    private static TimeSpan? LifecyclePreference(string header)
    {
        try
        {
            return JsonNode.Parse(header) is JsonObject o
                   && o["expiration_duration_seconds"] is JsonValue v
                   && v.TryGetValue<double>(out var seconds)
                   && seconds > 0
                ? TimeSpan.FromSeconds(seconds)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IResult NotFound() => Results.Json(new JsonObject { ["detail"] = "Request not found" }, statusCode: 404);

    private static IResult Status(HttpContext http, QueuedRequest request, RequestStore store)
    {
        var logs = http.Request.Query["logs"].ToString() is "1" or "true" or "True";
        var body = StatusBody(request, BaseUrl(http), store, logs);
        return Results.Json(body, statusCode: request.State == RequestState.Completed ? 200 : 202);
    }

    private static IResult Result(QueuedRequest request)
    {
        if (request.State != RequestState.Completed || request.Outcome is not { } outcome)
        {
            return Results.Json(new JsonObject { ["detail"] = "Request is still in progress" }, statusCode: 400);
        }

        if (request.TakeResultRefusal())
        {
            return Results.Json(new JsonObject { ["detail"] = "Service Unavailable" }, statusCode: 503); // a gateway's error: no error type
        }

        return new OutcomeResult(outcome);
    }

    private static IResult Cancel(QueuedRequest request, TimeProvider time) =>
        request.RequestCancel(time.GetUtcNow()) switch
        {
            CancelAnswer.AlreadyCompleted => Results.Json(new JsonObject { ["status"] = "ALREADY_COMPLETED" }, statusCode: 400),
            _ => Results.Json(new JsonObject { ["status"] = "CANCELLATION_REQUESTED" }, statusCode: 202),
        };

    /// <summary>The status body: fields per fal's status reference, with <c>logs</c> always present (null unless asked).</summary>
    private static JsonObject StatusBody(QueuedRequest request, string baseUrl, RequestStore store, bool includeLogs)
    {
        var state = request.State;
        var requestUrl = $"{baseUrl}/{request.App}/requests/{request.RequestId}";
        var body = new JsonObject
        {
            ["status"] = state switch
            {
                RequestState.InQueue => "IN_QUEUE",
                RequestState.InProgress => "IN_PROGRESS",
                _ => "COMPLETED",
            },
            ["request_id"] = request.RequestId,
            ["response_url"] = requestUrl,
            ["status_url"] = requestUrl + "/status",
            ["cancel_url"] = requestUrl + "/cancel",
            ["logs"] = includeLogs ? new JsonArray([.. request.Logs]) : null,
        };
        if (state == RequestState.InQueue)
        {
            body["queue_position"] = store.QueuePosition(request);
        }

        if (state == RequestState.Completed && request.Outcome is { } outcome)
        {
            var inference = (request.CompletedAt - request.StartedAt)?.TotalSeconds;
            body["metrics"] = inference is { } seconds ? new JsonObject { ["inference_time"] = Math.Round(seconds, 3) } : new JsonObject();
            if (!outcome.Succeeded)
            {
                body["error"] = $"Invalid status code: {outcome.StatusCode}";
                body["error_type"] = outcome.ErrorType ?? ErrorTypeOf(outcome);
            }
        }

        return body;
    }

    private static string? ErrorTypeOf(RequestOutcome outcome) =>
        outcome.Body["detail"] is JsonArray { Count: > 0 } details ? details[0]?["type"]?.GetValue<string>() : null;

    /// <summary>fal's flat request-error body: <c>{ "detail": "…", "error_type": "…" }</c> plus <c>X-Fal-Error-Type</c>.</summary>
    private static OutcomeResult FlatError(int status, string detail, string errorType) =>
        new OutcomeResult(new RequestOutcome(status, new JsonObject { ["detail"] = detail, ["error_type"] = errorType }, errorType));

    public static string BaseUrl(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";

    /// <summary>Writes an outcome the way fal replays a model's answer, with fal's error headers.</summary>
    private sealed class OutcomeResult(RequestOutcome outcome) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var headers = httpContext.Response.Headers;
            if (!outcome.Succeeded)
            {
                // Model errors say whether a retry could help; refused input and failed generations are not billed.
                var retryable = outcome.StatusCode is 429 or 500 or 502 or 503 or 504 ? "true" : "false";
                headers["X-Fal-Retryable"] = retryable;
                headers["X-Fal-Needs-Retry"] = retryable;
                headers["x-fal-billable-units"] = "0";
                if (outcome.ErrorType is { } errorType)
                {
                    headers["X-Fal-Error-Type"] = errorType;
                }
            }

            return Results.Json(outcome.Body, statusCode: outcome.StatusCode).ExecuteAsync(httpContext);
        }
    }
}
