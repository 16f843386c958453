using Microsoft.Extensions.Logging;
using Pipeline.Core.Api;
using Pipeline.Core.Options;
using Pipeline.UnitTests.Fal;
using Pipeline.Core.Webhooks;

namespace Pipeline.UnitTests.Hardening;

public sealed class WebhookVerificationNoticeTests
{
    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task StartAsync_WarnsOnlyWhenVerificationIsOff(bool verify, bool warned)
    {
        var logger = new CapturingLogger<WebhookVerificationNotice>();
        var notice = new WebhookVerificationNotice(
            Microsoft.Extensions.Options.Options.Create(new FalWebhookOptions { VerifySignatures = verify }), logger);

        await notice.StartAsync(TestContext.Current.CancellationToken);

        Assert.Equal(
            warned,
            logger.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("NOT verified", StringComparison.Ordinal)));
    }
}
