using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Pipeline.Core.Api;
using Pipeline.Http;

namespace Pipeline.Functions.Http;

/// <summary><c>GET /api/usage?date=YYYY-MM-DD</c> (function keys in Azure); the same handler as the local host.</summary>
public sealed class UsageApi(VideoJobService videos, TimeProvider time)
{
    [Function("GetUsage")]
    public async Task<IActionResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "usage")] HttpRequest request,
        CancellationToken cancellationToken) =>
        new HttpResultAction(await VideosHttpHandlers.UsageAsync(request, videos, time, cancellationToken));
}
