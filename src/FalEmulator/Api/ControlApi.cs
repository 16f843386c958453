using System.Text.Json.Nodes;
using FalEmulator.Faults;
using FalEmulator.Queue;
using FalEmulator.Recording;
using FalEmulator.Webhooks;

namespace FalEmulator.Api;

/// <summary>
/// The emulator's own endpoints (not fal's): the JWKS fal publishes its webhook keys in, and, under <c>/_emulator</c>,
/// what it recorded, the instance's faults and an outage of the request history, for tests, benchmarks and people
/// trying it with curl.
/// </summary>
public static class ControlApi
{
    public const string JwksPath = "/.well-known/jwks.json";

    public static IEndpointRouteBuilder MapControlApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(JwksPath, (HttpContext http, WebhookSigner signer) =>
        {
            CallRecording.Classify(http, CallKind.Jwks);
            return Results.Json(signer.Jwks());
        }).WithName("Jwks");

        var control = app.MapGroup("/_emulator").AddEndpointFilter(async (context, next) =>
        {
            CallRecording.Classify(context.HttpContext, CallKind.Control);
            return await next(context);
        });
        control.MapGet("/calls", (CallRecorder recorder) => Results.Json(recorder.Calls)).WithName("Calls");
        control.MapGet("/deliveries", (CallRecorder recorder) => Results.Json(recorder.Deliveries)).WithName("Deliveries");
        control.MapDelete("/calls", (CallRecorder recorder) =>
        {
            recorder.Clear();
            return Results.NoContent();
        }).WithName("ClearCalls");
        control.MapGet("/requests", (RequestStore store) => Results.Json(store.All.Select(Describe))).WithName("Requests");
        control.MapGet("/faults", (InstanceFaults faults) => Results.Json(new JsonObject { ["faults"] = faults.Spec }))
            .WithName("GetFaults");
        control.MapPut("/faults", async (HttpContext http, InstanceFaults faults) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var spec = await reader.ReadToEndAsync(http.RequestAborted);
            try
            {
                faults.Set(spec.Trim());
                return Results.Json(new JsonObject { ["faults"] = faults.Spec });
            }
            catch (FormatException e)
            {
                return Results.Json(new JsonObject { ["detail"] = e.Message }, statusCode: 400);
            }
        }).WithName("SetFaults");
        control.MapGet("/history-outage", (HistoryOutage outage) => Results.Json(Outage(outage))).WithName("GetHistoryOutage");
        control.MapPut("/history-outage", async (HttpContext http, HistoryOutage outage) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            try
            {
                outage.Set(await reader.ReadToEndAsync(http.RequestAborted));
                return Results.Json(Outage(outage));
            }
            catch (FormatException e)
            {
                return Results.Json(new JsonObject { ["detail"] = e.Message }, statusCode: 400);
            }
        }).WithName("SetHistoryOutage");
        return app;
    }

    private static JsonObject Outage(HistoryOutage outage) => new()
    {
        ["active"] = outage.IsActive,
        ["until"] = outage.Until is { } until && until != DateTimeOffset.MaxValue ? until : null,
    };

    /// <summary>The first <c>type</c> of a validation error's <c>detail</c> list (e.g. <c>file_download_error</c>).</summary>
    private static string? ErrorTypeOf(JsonNode? detail) =>
        detail is JsonArray details ? details.OfType<JsonObject>().Select(d => d["type"]?.GetValue<string>()).FirstOrDefault() : null;

    private static JsonObject Describe(QueuedRequest r) => new()
    {
        ["request_id"] = r.RequestId,
        ["endpoint_id"] = r.EndpointId,
        ["state"] = r.State.ToString(),
        ["submitted_at"] = r.SubmittedAt,
        ["started_at"] = r.StartedAt,
        ["completed_at"] = r.CompletedAt,
        ["status_code"] = r.Outcome?.StatusCode,
        ["error_type"] = r.Outcome?.ErrorType ?? ErrorTypeOf(r.Outcome?.Body["detail"]),
        ["webhook_url"] = r.WebhookUrl,
        ["prompt"] = r.Input?.Prompt,
        ["images"] = new JsonArray([.. r.Images.Select(i => (JsonNode)new JsonObject
        {
            ["field"] = i.Field,
            ["format"] = i.Format,
            ["width"] = i.Width,
            ["height"] = i.Height,
            ["orientation"] = i.Orientation,
        })]),
    };
}
