using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using FalEmulator.Queue;
using FalEmulator.Recording;
using Microsoft.Extensions.Options;

namespace FalEmulator.Api;

/// <summary>
/// fal's platform API (<c>api.fal.ai/v1</c>), the parts the pipeline uses: the request history
/// (<see cref="RequestHistoryApi"/>), and deleting a request's payloads and output files after it has copied them.
/// Deleting takes an admin key; an <c>Idempotency-Key</c> replays the first answer for 10 minutes.
/// </summary>
public static class PlatformApi
{
    private static readonly ConcurrentDictionary<string, (DateTimeOffset At, int Status, JsonObject Body)> Replays =
        new(StringComparer.Ordinal);

    public static IEndpointRouteBuilder MapPlatformApi(this IEndpointRouteBuilder app)
    {
        app.MapDelete("/v1/models/requests/{requestId}/payloads", DeletePayloads).WithName("DeletePayloads");
        app.MapRequestHistoryApi();
        return app;
    }

    private static IResult DeletePayloads(
        HttpContext http, string requestId, RequestStore store, IOptions<Options.FalEmulatorOptions> options, TimeProvider time)
    {
        CallRecording.Classify(http, CallKind.DeletePayloads, requestId);
        var header = http.Request.Headers.Authorization.ToString();
        var key = header.StartsWith("Key ", StringComparison.Ordinal) ? header[4..].Trim() : null;
        if (key is null || !options.Value.AdminKeys.Contains(key, StringComparer.Ordinal))
        {
            return Results.Json(new JsonObject { ["detail"] = "An admin key is required" }, statusCode: key is null ? 401 : 403);
        }

        var now = time.GetUtcNow();
        var idempotencyKey = http.Request.Headers["Idempotency-Key"].ToString();
        if (idempotencyKey.Length > 0 && Replays.TryGetValue(idempotencyKey, out var replay) && now - replay.At < TimeSpan.FromMinutes(10))
        {
            return Results.Json(replay.Body.DeepClone(), statusCode: replay.Status);
        }

        var request = store.Find(requestId);
        (int Status, JsonObject Body) answer = request is null
            ? (404, new JsonObject { ["detail"] = "Request not found" })
            : request.State != RequestState.Completed
                ? (409, new JsonObject { ["detail"] = "The request has not completed" })
                : (200, new JsonObject { ["request_id"] = requestId, ["deleted"] = true });
        if (answer.Status == 200)
        {
            request!.DeletePayloads(now);
        }

        if (idempotencyKey.Length > 0)
        {
            Replays[idempotencyKey] = (now, answer.Status, answer.Body);
        }

        return Results.Json(answer.Body.DeepClone(), statusCode: answer.Status);
    }
}
