using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Api;
using Pipeline.Core.Storage;
using Pipeline.Http;

namespace Pipeline.Functions.Http;

/// <summary>The videos API (function keys in Azure); the same handlers as the local host.</summary>
public sealed class VideosApi(VideoJobService videos, UploadStore uploads)
{
    [Function("SubmitVideo")]
    public async Task<IActionResult> SubmitAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "videos/{mode}")] HttpRequest request,
        string mode,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HttpResultAction(await VideosHttpHandlers.SubmitAsync(request, mode, client, videos, uploads, cancellationToken));

    [Function("ListVideos")]
    public async Task<IActionResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "videos")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HttpResultAction(await VideosHttpHandlers.ListAsync(request, client, videos, cancellationToken));

    [Function("GetVideo")]
    public async Task<IActionResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "videos/{id}")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HttpResultAction(await VideosHttpHandlers.GetAsync(id, client, videos, cancellationToken));

    [Function("CancelVideo")]
    public async Task<IActionResult> CancelAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "videos/{id}")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HttpResultAction(await VideosHttpHandlers.CancelAsync(id, client, videos, cancellationToken));
}
