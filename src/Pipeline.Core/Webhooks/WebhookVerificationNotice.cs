using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pipeline.Core.Logging;
using Pipeline.Core.Options;

namespace Pipeline.Core.Webhooks;

/// <summary>Says at start, loudly, when fal's webhook signatures are not verified (an explicit local setting).</summary>
public sealed class WebhookVerificationNotice(IOptions<FalWebhookOptions> options, ILogger<WebhookVerificationNotice> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.VerifySignatures)
        {
            logger.LogUnverifiedWebhooks();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
