using System.Net;
using System.Text.Json.Nodes;
using Pipeline.Core.Callbacks;
using Pipeline.Core.Events;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Callbacks;

/// <summary>
/// Per-job callbacks against a receiver that verifies every delivery with an independent Standard Webhooks
/// implementation (npm <c>standardwebhooks</c>): every event arrives, signed under both the new and the previous secret,
/// after the receiver was down for a while; the job's status shows the attempts; filters, redirects and bad URLs.
/// </summary>
public sealed class CallbackTests(AzuriteFixture azurite)
{
    private static readonly string Secret = CallbackSigner.NewSecret();
    private static readonly string Previous = CallbackSigner.NewSecret();

    private Task<PipelineTestHost> StartHostAsync(string retryFor = "00:01:00") => PipelineTestHost.StartAsync(azurite, s =>
    {
        s["CALLBACK_SECRET"] = Secret;
        s["CALLBACK_SECRET_PREVIOUS"] = Previous;
        s["Callbacks:AllowHttp"] = "true"; // the receiver is a local http process; in Azure both stay false
        s["Callbacks:AllowPrivateTargets"] = "true";
        s["Callbacks:FirstRetryDelay"] = "00:00:00.200";
        s["Callbacks:MaxRetryDelay"] = "00:00:01";
        s["Callbacks:RetryFor"] = retryFor;
    });

    [Fact]
    public async Task AReceiverThatIsDownAtFirst_GetsEveryEventOnceBack_SignedUnderBothSecrets_AndTheStatusShowsTheAttempts()
    {
        await using var receiver = await CallbackReceiver.StartAsync(Secret, Previous, down: 4);
        await using var host = await StartHostAsync();

        var (status, body, _) = await host.SubmitAsync("text-to-video",
            new { prompt = "A paper boat on a pond", resolution = "480p", duration = "4", webhook_url = receiver.Url() });
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = body["id"]!.GetValue<string>();
        Assert.Equal("succeeded", (await host.WaitForJobAsync(id))["status"]!.GetValue<string>());
        var seen = await receiver.WaitForAsync(d => d.Count(x => x["status"]!.GetValue<int>() == 204) == 2);

        // In order, each event offered until taken, under one webhook-id, as the CloudEvent the topic gets.
        var taken = seen.Where(d => d["status"]!.GetValue<int>() == 204).ToList();
        Assert.Equal([$"{id}.submitted", $"{id}.succeeded"], taken.Select(d => d["id"]!.GetValue<string>()));
        Assert.Equal([JobEventTypes.Submitted, JobEventTypes.Succeeded], taken.Select(d => d["type"]!.GetValue<string>()));
        Assert.All(
            seen,
            d => Assert.True(d["verified"]!.GetValue<bool>() && d["verified_by_previous"]!.GetValue<bool>(), d.ToJsonString()));
        Assert.All(seen, d => Assert.Equal(d["id"]!.GetValue<string>(), d["event_id"]!.GetValue<string>()));
        Assert.All(seen, d => Assert.Equal("1.0", d["specversion"]!.GetValue<string>()));
        Assert.All(
            seen,
            d => Assert.StartsWith("application/cloudevents+json", d["content_type"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Equal(4, seen.Count(d => d["status"]!.GetValue<int>() == 503));
        Assert.Equal("/hooks/video?token=t0p-secret", seen[0]["path"]!.GetValue<string>());
        var topic = await host.Events.WaitForAsync(e => e.Any(x => x.Type == JobEventTypes.Succeeded));
        Assert.Equal(
            topic.Select(e => e.Id).Order(StringComparer.Ordinal),
            taken.Select(d => d["id"]!.GetValue<string>()).Order(StringComparer.Ordinal));

        // The job's status: the receiver's origin only (its path may hold a secret), and every delivery's attempts.
        var view = await WaitForDeliveredAsync(host, id, 2);
        Assert.Equal($"http://127.0.0.1:{receiver.Port}", view["origin"]!.GetValue<string>());
        Assert.DoesNotContain("t0p-secret", (await host.GetJobAsync(id)).ToJsonString(), StringComparison.Ordinal);
        var deliveries = view["deliveries"]!.AsArray();
        Assert.Equal(6, deliveries.Sum(d => d!["attempts"]!.GetValue<int>()));
        Assert.All(deliveries, d => Assert.Equal(204, d!["last_status"]!.GetValue<int>()));
    }

    [Fact]
    public async Task AnEventFilter_DeliversOnlyThoseEvents()
    {
        await using var receiver = await CallbackReceiver.StartAsync(Secret);
        await using var host = await StartHostAsync();

        var (_, body, _) = await host.SubmitAsync(
            "text-to-video",
            new
            {
                prompt = "Only the end",
                resolution = "480p",
                duration = "4",
                webhook_url = receiver.Url(),
                webhook_events = new[] { "succeeded", "failed" },
            });
        var id = body["id"]!.GetValue<string>();
        await host.WaitForJobAsync(id);
        await WaitForDeliveredAsync(host, id, 1);

        Assert.Equal([$"{id}.succeeded"], receiver.Deliveries.Select(d => d["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ARedirect_IsNotFollowed_AndTheDeliveryGivesUpWhenItsTimeIsOut()
    {
        await using var elsewhere = await CallbackReceiver.StartAsync(Secret);
        await using var receiver = await CallbackReceiver.StartAsync(Secret, redirect: elsewhere.Url("/stolen"));
        await using var host = await StartHostAsync(retryFor: "00:00:02");

        var (_, body, _) = await host.SubmitAsync(
            "text-to-video",
            new
            {
                prompt = "Sent away",
                resolution = "480p",
                duration = "4",
                webhook_url = receiver.Url(),
                webhook_events = new[] { "submitted" },
            });
        var id = body["id"]!.GetValue<string>();
        var view = await WaitUntilAsync(host, id, v => v["deliveries"]!.AsArray().Any(d => d!["gave_up"]!.GetValue<bool>()));

        var delivery = view["deliveries"]![0]!;
        Assert.Equal(302, delivery["last_status"]!.GetValue<int>());
        Assert.Equal("a redirect (not followed)", delivery["last_error"]!.GetValue<string>());
        Assert.True(delivery["attempts"]!.GetValue<int>() > 1);
        Assert.Empty(elsewhere.Deliveries);
    }

    [Theory]
    [InlineData("ftp://example.com/hook", "must be an https URL")]
    [InlineData("not a url", "must be an absolute https URL of at most 2048 characters")]
    [InlineData("https://user:pw@example.com/hook", "may not carry a user name, password or fragment")]
    public async Task ABadWebhookUrl_IsA400NamingTheField(string url, string problem)
    {
        await using var host = await StartHostAsync();

        var (status, body, _) = await host.SubmitAsync("text-to-video", new { prompt = "x", webhook_url = url });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(problem, body["errors"]![JobCallback.UrlField]![0]!.GetValue<string>());
    }

    private static Task<JsonObject> WaitForDeliveredAsync(PipelineTestHost host, string id, int events) =>
        WaitUntilAsync(host, id, v => v["deliveries"]!.AsArray().Count(d => d!["delivered_at"] is not null) == events);

    private static async Task<JsonObject> WaitUntilAsync(PipelineTestHost host, string id, Func<JsonObject, bool> done)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            var callback = (await host.GetJobAsync(id))["callback"]!.AsObject();
            if (done(callback))
            {
                return callback;
            }

            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException(callback.ToJsonString());
            }

            await Task.Delay(100, PipelineTestHost.Token);
        }
    }
}
