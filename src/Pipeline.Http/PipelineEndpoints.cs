using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Api;
using Pipeline.Core.Storage;
using Pipeline.Http.Page;
using Pipeline.Core.Webhooks;

namespace Pipeline.Http;

/// <summary>The same routes as the Functions app, as minimal API endpoints for hosts that run ASP.NET Core themselves.</summary>
public static class PipelineEndpoints
{
    public static IEndpointRouteBuilder MapPipelineApi(this IEndpointRouteBuilder app)
    {
        var videos = app.MapGroup("/api/videos").WithTags("Videos");
        videos.MapPost(
            "/{mode}",
            (HttpRequest request, string mode, DurableTaskClient client, VideoJobService service, UploadStore uploads,
                CancellationToken ct) =>
                VideosHttpHandlers.SubmitAsync(request, mode, client, service, uploads, ct))
            .WithName("SubmitVideo")
            .WithSummary("Start a video job")
            .DisableAntiforgery();
        videos.MapGet("", (HttpRequest request, DurableTaskClient client, VideoJobService service, CancellationToken ct) =>
            VideosHttpHandlers.ListAsync(request, client, service, ct))
            .WithName("ListVideos")
            .WithSummary("Recent video jobs, newest first");
        videos.MapGet("/{id}", (string id, DurableTaskClient client, VideoJobService service, CancellationToken ct) =>
            VideosHttpHandlers.GetAsync(id, client, service, ct))
            .WithName("GetVideo")
            .WithSummary("Read a video job");
        videos.MapDelete("/{id}", (string id, DurableTaskClient client, VideoJobService service, CancellationToken ct) =>
            VideosHttpHandlers.CancelAsync(id, client, service, ct))
            .WithName("CancelVideo")
            .WithSummary("Cancel a video job");
        app.MapGet("/api/batches/{id}", (string id, VideoJobService service, CancellationToken ct) =>
            VideosHttpHandlers.BatchAsync(id, service, ct))
            .WithName("GetBatch")
            .WithSummary("A batch's jobs counted: a folder's drops, a manifest's rows or a request's variants");
        app.MapGet(Contract.OpenApiContract.Route, () => Results.Text(Contract.OpenApiContract.Json, "application/json"))
            .WithName("GetOpenApi")
            .WithSummary("This API as an OpenAPI 3.1 document");
        app.MapGet("/api/usage", (HttpRequest request, VideoJobService service, TimeProvider time, CancellationToken ct) =>
            VideosHttpHandlers.UsageAsync(request, service, time, ct))
            .WithName("GetUsage")
            .WithSummary("A day's jobs, video seconds and estimated spend");
        app.MapGet("/api/health", (DurableTaskClient client, Core.Health.HealthCheck health, CancellationToken ct) =>
            VideosHttpHandlers.HealthAsync(client, health, ct))
            .WithName("Health")
            .WithSummary("Whether the app can take and run jobs, and how it is configured");
        app.MapPost(
            "/" + WebhookUrls.Path,
            (HttpRequest request, DurableTaskClient client, FalWebhookReceiver receiver, CancellationToken ct) =>
                VideosHttpHandlers.FalWebhookAsync(request, client, receiver, ct))
            .WithName("FalWebhook")
            .WithSummary("fal's webhook");
        // The catch-all also matches /api/app and /api/app/ (the page); its files are linked by absolute paths.
        app.MapGet($"/api/{VideosPage.Route}/{{*file}}", (string? file, HttpResponse response) => VideosPage.Serve(file, response))
            .ExcludeFromDescription();
        return app;
    }
}
