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
        var (_, accepted, _) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = "The victim's own video [emulator: submit_lost=1, queue=60s, run=60s]", resolution = "480p", duration = "4" });
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
            using var submitted = await fal.PostAsJsonAsync(
                $"/bytedance/seedance-2.0/fast/text-to-video?fal_webhook={Uri.EscapeDataString(hook)}",
                new { prompt = "The attacker's video [emulator: queue=0s, run=0s]", resolution = "480p", duration = "4" },
                Token);
            attackerRequests.Add((await submitted.Content.ReadFromJsonAsync<JsonObject>(Token))!["request_id"]!.GetValue<string>());
        }

        var job = await host.WaitForJobAsync(victim);

        // fal signed the attacker's deliveries, and they were refused: the URL did not carry the victim's token.
        Assert.All(
            attackerRequests,
            id => Assert.All(host.Fal.Recorder.Deliveries.Where(d => d.RequestId == id), d => Assert.Equal(401, d.StatusCode)));
        Assert.Contains(host.Fal.Recorder.Deliveries, d => attackerRequests.Contains(d.RequestId));
        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        var stored = job["fal_request_id"]!.GetValue<string>();
        Assert.DoesNotContain(stored, attackerRequests);
        Assert.Contains("victim", host.Fal.Requests.Find(stored)!.Input!.Prompt, StringComparison.Ordinal);
        Assert.DoesNotContain(job["fal_request_ids"]!.AsArray().Select(n => n!.GetValue<string>()), attackerRequests.Contains);
    }

    [Theory]
    [InlineData("..\\videos\\twice.jpg")]
    [InlineData("../videos/twice.jpg")]
    [InlineData("a/./b.jpg")]
    [InlineData("/rooted.jpg")]
    [InlineData("tab\tname.jpg")]
    [InlineData("broken\uFFFD.jpg")]
    public async Task BlobEventWithAHostileName_StartsNothingTouchesNothingAndLeavesARefusalMarker(string name)
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var id = await host.TriggerInboxAsync(name);

        Assert.Null(id);
        var marker = host.VideoBlob(global::Pipeline.Core.Storage.VideoStore.RefusedMarkerName($"inbox/{name}"));
        var content = JsonNode.Parse((await marker.DownloadContentAsync(Token)).Value.Content.ToString())!;
        Assert.Equal("invalid_name", content["error"]!["code"]!.GetValue<string>());
        Assert.Equal($"inbox/{name}", content["source"]!.GetValue<string>());
        Assert.DoesNotContain(host.Fal.Recorder.Calls, c => c.Kind == CallKind.Submit);
    }

    [Fact]
    public async Task HostileFileNamesInTheInboxFolder_EscapeNothingAndStallNothing()
    {
        await using var host = await LocalHostInProcess.StartAsync();
        var inbox = Path.Combine(host.Home, "inbox");
        var videos = Path.Combine(host.Home, "videos");
        var jpeg = TestFiles.Jpeg.ToArray();
        Directory.CreateDirectory(inbox);

        // A finished job whose video a hostile name would overwrite.
        await File.WriteAllBytesAsync(Path.Combine(inbox, "twice.jpg"), jpeg, Token);
        await UntilAsync(() => Task.FromResult(File.Exists(Path.Combine(videos, "twice.mp4"))));
        var before = await File.ReadAllBytesAsync(Path.Combine(videos, "twice.mp4"), Token);

        await File.WriteAllBytesAsync(Path.Combine(inbox, "..\\videos\\twice.mp4"), jpeg, Token);
        await File.WriteAllBytesAsync(Path.Combine(inbox, "..\\videos\\injected.mp4"), jpeg, Token);
        await File.WriteAllBytesAsync(Path.Combine(inbox, "..\\..\\x.jpg"), jpeg, Token);
        await File.WriteAllBytesAsync(Path.Combine(inbox, "empty.jpg"), [], Token);
        await File.WriteAllBytesAsync(Path.Combine(inbox, ".hidden.jpg"), jpeg, Token);
        CreateFileWithNonUtf8Name(inbox);
        await File.WriteAllBytesAsync(Path.Combine(inbox, "fine.jpg"), jpeg, Token); // after them all: it must not wait for them

        await UntilAsync(() => Task.FromResult(File.Exists(Path.Combine(videos, "fine.mp4"))
            && File.Exists(Path.Combine(videos, ".hidden.mp4"))
            && File.Exists(Path.Combine(videos, "empty.error.json"))));
        await Task.Delay(2000, Token);

        Assert.Equal(before, await File.ReadAllBytesAsync(Path.Combine(videos, "twice.mp4"), Token));
        Assert.False(File.Exists(Path.Combine(videos, "injected.mp4")));
        Assert.False(await host.Storage.Videos.GetBlobClient("injected.mp4").ExistsAsync(Token));
        Assert.Equal(
            ["twice.mp4"],
            host.Storage.Videos
                .GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "twice", Token)
                .Select(b => b.Name));
        Assert.Equal(
            "empty_file",
            JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(videos, "empty.error.json"), Token))!["error"]!["code"]!
                .GetValue<string>());
        Assert.Contains(
            host.Logs.Lines,
            l => l.Contains("is not uploaded", StringComparison.Ordinal) && l.Contains("backslash", StringComparison.Ordinal));
        Assert.Contains(
            host.Logs.Lines,
            l => l.Contains("is not uploaded", StringComparison.Ordinal) && l.Contains("UTF-8", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OversizedSidecar_IsRefusedUnreadAndItsImageFailsNamingTheLimit()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var huge = new byte[32 * 1024 * 1024]; // 32 MB of a JSON object: a prompt, then whitespace
        Array.Fill(huge, (byte)' ');
        System.Text.Encoding.ASCII.GetBytes("{\"prompt\":\"big\"").CopyTo(huge, 0);
        huge[^1] = (byte)'}';

        await host.DropAsync("big/huge.json", BinaryData.FromBytes(huge));
        var id = await host.DropAsync("big/huge.jpg", TestFiles.Jpeg);
        var job = await host.WaitForJobAsync(id!);

        Assert.Equal("failed", job["status"]!.GetValue<string>());
        Assert.Equal("invalid_request", job["error"]!["code"]!.GetValue<string>());
        Assert.Contains("larger than 256 KB", job["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(host.Fal.Recorder.Calls, c => c.Kind == CallKind.Submit);
        Assert.True(await host.VideoBlob("big/huge.error.json").ExistsAsync(Token));
    }

    /// <summary>A file whose name is not valid UTF-8 (a name .NET cannot write itself), made by the shell.</summary>
    private static void CreateFileWithNonUtf8Name(string folder)
    {
        using var touch = System.Diagnostics.Process.Start(
            new System.Diagnostics.ProcessStartInfo("bash", ["-c", "printf x > $'\\xff\\xfe-broken.jpg'"]) { WorkingDirectory = folder })!;
        touch.WaitForExit();
        Assert.Equal(0, touch.ExitCode);
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
