using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Api;

namespace Pipeline.Http;

/// <summary>The same routes as the Functions app, as minimal API endpoints for hosts that run ASP.NET Core themselves.</summary>
public static class PipelineEndpoints
{
    public static IEndpointRouteBuilder MapPipelineApi(this IEndpointRouteBuilder app)
    {
        var videos = app.MapGroup("/api/videos").WithTags("Videos");
        videos.MapPost("/{mode}", (HttpRequest request, string mode, DurableTaskClient client, VideoJobService service, CancellationToken ct) =>
            VideosHttpHandlers.SubmitAsync(request, mode, client, service, ct)).WithName("SubmitVideo").WithSummary("Start a video job");
        videos.MapGet("/{id}", (string id, DurableTaskClient client, VideoJobService service, CancellationToken ct) =>
            VideosHttpHandlers.GetAsync(id, client, service, ct)).WithName("GetVideo").WithSummary("Read a video job");
        videos.MapDelete("/{id}", (string id, DurableTaskClient client, VideoJobService service, CancellationToken ct) =>
            VideosHttpHandlers.CancelAsync(id, client, service, ct)).WithName("CancelVideo").WithSummary("Cancel a video job");
        app.MapPost("/" + WebhookUrls.Path, (HttpRequest request, DurableTaskClient client, FalWebhookReceiver receiver, CancellationToken ct) =>
            VideosHttpHandlers.FalWebhookAsync(request, client, receiver, ct)).WithName("FalWebhook").WithSummary("fal's webhook");
        return app;
    }
}
