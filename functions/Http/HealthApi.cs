using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Health;
using Pipeline.Http;

namespace Pipeline.Functions.Http;

/// <summary>
/// <c>GET /api/health</c>, behind a function key like the API: the report names the storage account, the task hub and
/// the event topic, which a stranger has no use for; monitors send the key in <c>x-functions-key</c>.
/// </summary>
public sealed class HealthApi(HealthCheck health)
{
    [Function("Health")]
    public async Task<IActionResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "health")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HttpResultAction(await VideosHttpHandlers.HealthAsync(client, health, cancellationToken));
}
