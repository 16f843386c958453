using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Pipeline.Core.Api;
using Pipeline.Http;

namespace Pipeline.Functions.Http;

/// <summary>A batch's progress (function keys, like the videos API); the same handler as the local host.</summary>
public sealed class BatchesApi(VideoJobService videos)
{
    [Function("GetBatch")]
    public async Task<IActionResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        new HttpResultAction(await VideosHttpHandlers.BatchAsync(id, videos, cancellationToken));
}
