using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Api;
using Pipeline.Http;
using Pipeline.Core.Webhooks;

namespace Pipeline.Functions.Http;

/// <summary>
/// fal's webhook. Anonymous at the Functions level because fal cannot send a function key; the delivery is bound to the
/// job that submitted its request id, and the <see cref="FalWebhookVerifier"/> decides whether it is authentic.
/// </summary>
public sealed class FalWebhook(FalWebhookReceiver receiver)
{
    [Function("FalWebhook")]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fal/webhook")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HttpResultAction(await VideosHttpHandlers.FalWebhookAsync(request, client, receiver, cancellationToken));
}
