using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FalEmulator.Recording;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Hardening;

/// <summary>
/// What a stranger can do from outside — with a fal account of their own, a guessed job id, junk bodies — and what
/// must hold: nothing completes, escapes, stalls or crashes a job; nothing is lost, billed or touched.
/// </summary>
public sealed class AttackerTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    [Fact]
    public async Task StrangersFalRequestNamingAVictimsJob_IsRefusedAndTheVictimGetsItsOwnVideo()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Pipeline:UnconfirmedSubmitWait"] = "00:01:00");
        // The victim's submit answer is lost: it waits for any webhook that names it (the most trusting state).
        var (_, accepted, _) = await host.SubmitAsync("text-to-video", new { prompt = "The victim's own video [emulator: submit_lost=1, queue=60s, run=60s]", resolution = "480p", duration = "4" });
        var victim = accepted["id"]!.GetValue<string>();
        await UntilAsync(async () => (await host.GetJobAsync(victim))["stage"]?.GetValue<string>() == "confirming_submit");

        // The attacker, with their own fal key, asks fal to send their request's webhook to the victim's job.
        using var fal = new HttpClient { BaseAddress = host.Fal.BaseAddress };
        fal.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Key", host.Fal.ApiKey);
        var hooks = new[]
        {
            $"{host.BaseAddress}api/fal/webhook?job={victim}",
            $"{host.BaseAddress}api/fal/webhook?job={victim}&token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        };
        var attackerRequests = new List<string>();
        foreach (var hook in hooks)
        {
            using var submitted = await fal.PostAsJsonAsync($"/bytedance/seedance-2.0/fast/text-to-video?fal_webhook={Uri.EscapeDataString(hook)}",
                new { prompt = "The attacker's video [emulator: queue=0s, run=0s]", resolution = "480p", duration = "4" }, Token);
            attackerRequests.Add((await submitted.Content.ReadFromJsonAsync<JsonObject>(Token))!["request_id"]!.GetValue<string>());
        }

        var job = await host.WaitForJobAsync(victim);

        // fal signed the attacker's deliveries, and they were refused: the URL did not carry the victim's token.
        Assert.All(attackerRequests, id => Assert.All(host.Fal.Recorder.Deliveries.Where(d => d.RequestId == id), d => Assert.Equal(401, d.StatusCode)));
        Assert.Contains(host.Fal.Recorder.Deliveries, d => attackerRequests.Contains(d.RequestId));
        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        var stored = job["fal_request_id"]!.GetValue<string>();
        Assert.DoesNotContain(stored, attackerRequests);
        Assert.Contains("victim", host.Fal.Requests.Find(stored)!.Input!.Prompt, StringComparison.Ordinal);
        Assert.DoesNotContain(job["fal_request_ids"]!.AsArray().Select(n => n!.GetValue<string>()), attackerRequests.Contains);
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < until, "not reached within 60 s");
            await Task.Delay(100, Token);
        }
    }
}
