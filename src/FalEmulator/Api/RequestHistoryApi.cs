using System.Text.Json.Nodes;
using FalEmulator.Faults;
using FalEmulator.History;
using FalEmulator.Model;
using FalEmulator.Options;
using FalEmulator.Queue;
using FalEmulator.Recording;
using Microsoft.Extensions.Options;

namespace FalEmulator.Api;

/// <summary>
/// fal's request history (platform API, docs page "List requests by endpoint(s)"): <c>GET /v1/models/requests/by-endpoint</c>
/// answers <c>{ items, next_cursor, has_more }</c>. fal documents "API key (user or enterprise)": queue keys and admin
/// keys are both accepted. A wrong query answers 422 with fal's <c>detail</c> list naming each bad parameter.
/// </summary>
public static class RequestHistoryApi
{
    public const string Path = "/v1/models/requests/by-endpoint";

    public static IEndpointRouteBuilder MapRequestHistoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, List).WithName("ListRequestsByEndpoint");
        return app;
    }

    private static IResult List(HttpContext http, RequestStore store, ApiKeyCheck auth, HistoryOutage outage, TimeProvider time,
        IOptions<FalEmulatorOptions> options)
    {
        CallRecording.Classify(http, CallKind.ListRequests);
        if (auth.Refuse(http, acceptAdminKeys: true) is { } refused)
        {
            return refused;
        }

        if (outage.IsActive)
        {
            return Results.Json(new JsonObject { ["detail"] = "Service Unavailable" }, statusCode: 503); // as a gateway answers
        }

        var now = time.GetUtcNow();
        var errors = new List<FalErrorDetail>();
        if (RequestHistoryQuery.Parse(http.Request.Query, now, errors) is not { } query)
        {
            return Results.Json(FalErrorDetail.Body(errors), statusCode: 422);
        }

        var (page, hasMore) = RequestHistory.Select(store.All, query, now, options.Value.Scale);
        return Results.Json(new JsonObject
        {
            ["items"] = new JsonArray([.. page.Select(r => (JsonNode)RequestHistory.Describe(r, query.Payloads))]),
            ["next_cursor"] = hasMore ? RequestHistoryQuery.CursorOf(query.Page + 1) : null,
            ["has_more"] = hasMore,
        });
    }
}
