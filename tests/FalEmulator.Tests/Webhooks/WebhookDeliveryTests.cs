using System.Net;
using System.Text.Json.Nodes;
using FalEmulator.Model;
using FalEmulator.Tests.Support;

namespace FalEmulator.Tests.Webhooks;

public sealed class WebhookDeliveryTests
{
    private static readonly object Input = new { prompt = "A harbour at dawn", resolution = "480p", duration = "4" };

    private static async Task<JsonNode> JwksAsync(EmulatorClient fal)
    {
        using var anonymous = new HttpClient();
        return JsonNode.Parse(await anonymous.GetStringAsync(fal.Host.JwksUrl, EmulatorClient.Token))!;
    }

    [Fact]
    public async Task Webhook_OnSuccess_CarriesFalsBodyAndASignatureThatLibsodiumVerifies()
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();

        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, pipeline.Url);
        var webhook = (await pipeline.WaitForAsync(1)).Single();

        var body = JsonNode.Parse(webhook.Body)!.AsObject();
        var id = submitted["request_id"]!.GetValue<string>();
        Assert.Equal(id, body["request_id"]!.GetValue<string>());
        Assert.Equal(id, body["gateway_request_id"]!.GetValue<string>());
        Assert.Equal("OK", body["status"]!.GetValue<string>());
        Assert.True(body.ContainsKey("error"));
        Assert.Null(body["error"]);
        Assert.Equal("video/mp4", body["payload"]!["video"]!["content_type"]!.GetValue<string>());
        Assert.Equal(id, webhook.Header("X-Fal-Webhook-Request-Id"));
        Assert.Equal("emulator-user", webhook.Header("X-Fal-Webhook-User-Id"));
        Assert.Equal(128, webhook.Header("X-Fal-Webhook-Signature").Length); // hex of 64 bytes
        var jwks = await JwksAsync(fal);
        Assert.Equal("OKP", jwks["keys"]![0]!["kty"]!.GetValue<string>());
        Assert.Equal("Ed25519", jwks["keys"]![0]!["crv"]!.GetValue<string>());
        Assert.True(FalSignatureVerifier.Verify(jwks, webhook, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Webhook_WithOneByteOfTheBodyChanged_NoLongerVerifies()
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();
        await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, pipeline.Url);
        var webhook = (await pipeline.WaitForAsync(1)).Single();
        var jwks = await JwksAsync(fal);

        var tampered = webhook with { Body = [.. webhook.Body] };
        tampered.Body[^2] ^= 0x01;

        Assert.True(FalSignatureVerifier.Verify(jwks, webhook, DateTimeOffset.UtcNow));
        Assert.False(FalSignatureVerifier.Verify(jwks, tampered, DateTimeOffset.UtcNow));
        Assert.False(FalSignatureVerifier.Verify(jwks, webhook, DateTimeOffset.UtcNow.AddMinutes(6)));
    }

    [Fact]
    public async Task Webhook_OnInvalidInput_IsAnErrorWithThe422Payload()
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();

        await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, new { resolution = "480p" }, pipeline.Url);
        var webhook = (await pipeline.WaitForAsync(1)).Single();

        var body = JsonNode.Parse(webhook.Body)!;
        Assert.Equal("ERROR", body["status"]!.GetValue<string>());
        Assert.Equal("Invalid status code: 422", body["error"]!.GetValue<string>());
        Assert.Equal("missing", body["payload"]!["detail"]![0]!["type"]!.GetValue<string>());
        Assert.True(FalSignatureVerifier.Verify(await JwksAsync(fal), webhook, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Webhook_AnsweredWithErrors_IsRetriedUntilAccepted()
    {
        await using var fal = await EmulatorClient.StartAsync(o => o.WebhookFirstRetryDelay = TimeSpan.FromSeconds(5));
        await using var pipeline = await StandInPipeline.StartAsync();
        pipeline.AnswerNext(500, 503);

        await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, pipeline.Url);
        var received = await pipeline.WaitForAsync(3);

        Assert.Equal(3, received.Count);
        Assert.Single(received.Select(r => JsonNode.Parse(r.Body)!["request_id"]!.GetValue<string>()).Distinct());
        await fal.WaitUntilAsync(() => Task.FromResult(fal.Host.Recorder.Deliveries.Count == 3));
        Assert.Equal(["failed", "failed", "delivered"], fal.Host.Recorder.Deliveries.Select(d => d.Outcome));
        Assert.Equal([1, 2, 3], fal.Host.Recorder.Deliveries.Select(d => d.Attempt));
        // the second retry waits twice as long as the first (5 s, then 10 s, scaled by 0.01)
        Assert.True(received[2].At - received[1].At >= TimeSpan.FromMilliseconds(90));
    }

    [Fact]
    public async Task Webhook_NeverAccepted_GivesUpAfterTheRetryLimit()
    {
        await using var fal = await EmulatorClient.StartAsync(o =>
        {
            o.WebhookMaxRetries = 3;
            o.WebhookFirstRetryDelay = TimeSpan.FromSeconds(1);
        });
        await using var pipeline = await StandInPipeline.StartAsync();
        pipeline.AnswerNext(500, 500, 500, 500, 500, 500);

        await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, pipeline.Url);
        await pipeline.WaitForAsync(4);
        await Task.Delay(300, EmulatorClient.Token);

        Assert.Equal(4, pipeline.Received.Count); // the first try and three retries
    }

    [Fact]
    public async Task Webhook_DropFault_IsNeverSent()
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();

        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, pipeline.Url, faults: "webhook=drop");
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());
        await fal.WaitUntilAsync(() => Task.FromResult(fal.Host.Recorder.Deliveries.Count == 1));
        await Task.Delay(200, EmulatorClient.Token);

        Assert.Empty(pipeline.Received);
        Assert.Equal("dropped", fal.Host.Recorder.Deliveries.Single().Outcome);
    }

    [Fact]
    public async Task Webhook_DuplicateFault_SendsTheSameDeliveryAgain()
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();

        await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, pipeline.Url, faults: "webhook_duplicates=2");
        var received = await pipeline.WaitForAsync(3);
        await Task.Delay(200, EmulatorClient.Token);

        Assert.Equal(3, pipeline.Received.Count);
        Assert.Single(received.Select(r => System.Text.Encoding.UTF8.GetString(r.Body)).Distinct());
        var jwks = await JwksAsync(fal);
        Assert.All(received, r => Assert.True(FalSignatureVerifier.Verify(jwks, r, DateTimeOffset.UtcNow)));
    }

    [Fact]
    public async Task Webhook_DelayFault_ArrivesThatLongAfterCompletion()
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();

        await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, pipeline.Url, faults: "webhook_delay=50s");
        var webhook = (await pipeline.WaitForAsync(1)).Single();

        var completedAt = fal.Host.Requests.All.Single().CompletedAt!.Value;
        Assert.True(webhook.At - completedAt >= TimeSpan.FromMilliseconds(450), $"arrived {webhook.At - completedAt} after completion");
    }

    [Fact]
    public async Task Webhook_BadSignatureFault_FailsVerificationAgainstTheJwks()
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();

        await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, pipeline.Url, faults: "webhook=bad-signature");
        var webhook = (await pipeline.WaitForAsync(1)).Single();

        Assert.Equal(128, webhook.Header("X-Fal-Webhook-Signature").Length);
        Assert.False(FalSignatureVerifier.Verify(await JwksAsync(fal), webhook, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Webhook_OfACancelledQueuedRequest_IsAnErrorWithClientCancelled()
    {
        await using var fal = await EmulatorClient.StartAsync(o => o.QueueLatency = TimeSpan.FromSeconds(1000));
        await using var pipeline = await StandInPipeline.StartAsync();
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, pipeline.Url);

        await fal.PutAsync(submitted["cancel_url"]!.GetValue<string>());
        var webhook = (await pipeline.WaitForAsync(1)).Single();

        var body = JsonNode.Parse(webhook.Body)!;
        Assert.Equal("ERROR", body["status"]!.GetValue<string>());
        Assert.Equal("client_cancelled", body["payload"]!["error_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Jwks_IsPublicAndStableAcrossRequests()
    {
        await using var fal = await EmulatorClient.StartAsync(o => o.WebhookSigningKeySeed = Convert.ToBase64String(new byte[32]));
        using var anonymous = new HttpClient();

        using var first = await anonymous.GetAsync(fal.Host.JwksUrl, EmulatorClient.Token);
        var second = await JwksAsync(fal);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var x = second["keys"]![0]!["x"]!.GetValue<string>();
        Assert.Equal(43, x.Length); // 32 bytes, base64url without padding
        Assert.Equal(x, (await EmulatorClient.ReadAsync(first))["keys"]![0]!["x"]!.GetValue<string>());
    }
}
