using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;
using static Pipeline.IntegrationTests.Batches.BatchTestSupport;

namespace Pipeline.IntegrationTests.Batches;

/// <summary>Folder presets: the nearest preset wins over farther ones, the drop's own sidecar or metadata over every preset.</summary>
public sealed class PresetTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    [Fact]
    public async Task Presets_NearestWins_TheDropsOwnWordsWinOverAll_AndAChangedPresetNeverRerunsAFinishedDrop()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();
        await Upload(
            host,
            $"{folder}/_preset.json",
            new
            {
                prompt = "Far prompt",
                resolution = "480p",
                duration = "4",
                end_user_id = "studio",
                correlation = new { shoot = "spring" },
            });
        await Upload(host, $"{folder}/near/_preset.json", new { prompt = "Near prompt", generate_audio = false });
        await Upload(host, $"{folder}/near/own.json", new { prompt = "Own prompt", duration = "6" });

        var far = await host.DropAsync($"{folder}/far.jpg", TestFiles.Jpeg);
        var near = await host.DropAsync($"{folder}/near/near.jpg", TestFiles.Jpeg);
        var own = await host.DropAsync($"{folder}/near/own.jpg", TestFiles.Jpeg);
        var tagged = await host.DropAsync(
            $"{folder}/near/tagged.jpg",
            TestFiles.Jpeg,
            new Dictionary<string, string> { ["prompt"] = "Metadata prompt" });
        var inputs = new Dictionary<string, FalEmulator.Model.SeedanceInput>();
        foreach (var (name, id) in new[] { ("far", far), ("near", near), ("own", own), ("tagged", tagged) })
        {
            var job = await host.WaitForJobAsync(id!);
            Assert.Equal("succeeded", job["status"]!.GetValue<string>());
            inputs[name] = host.Fal.Requests.Find(job["fal_request_id"]!.GetValue<string>())!.Input!;
        }

        // Root preset alone; the nearer preset's prompt and audio over it; the sidecar over both; metadata over both.
        Assert.Equal(
            ("Far prompt", "480p", "4", true, "studio"),
            (inputs["far"].Prompt, inputs["far"].Resolution, inputs["far"].Duration, inputs["far"].GenerateAudio, inputs["far"].EndUserId));
        Assert.Equal(
            ("Near prompt", "480p", "4", false),
            (inputs["near"].Prompt, inputs["near"].Resolution, inputs["near"].Duration, inputs["near"].GenerateAudio));
        Assert.Equal(
            ("Own prompt", "480p", "6", false),
            (inputs["own"].Prompt, inputs["own"].Resolution, inputs["own"].Duration, inputs["own"].GenerateAudio));
        Assert.Equal("Metadata prompt", inputs["tagged"].Prompt);
        var farJob = await host.GetJobAsync(far!);
        Assert.Equal("spring", farJob["correlation"]!["shoot"]!.GetValue<string>());

        // A preset changed (or dropped) starts nothing: finished drops stay as they are; later drops follow it.
        var submitted = host.Fal.Requests.All.Count;
        Assert.Null(await host.DropAsync(
            $"{folder}/_preset.json",
            TestFiles.Json(new { prompt = "Changed prompt", resolution = "480p", duration = "4" })));
        await Task.Delay(1000, Token);
        Assert.Equal(submitted, host.Fal.Requests.All.Count);
        var later = await host.WaitForJobAsync((await host.DropAsync($"{folder}/later.jpg", TestFiles.Jpeg))!);
        Assert.Equal("Changed prompt", host.Fal.Requests.Find(later["fal_request_id"]!.GetValue<string>())!.Input!.Prompt);
    }

    [Fact]
    public async Task APresetWithAFieldItMayNotGive_FailsTheDrop_NamingThePresetAndTheField_BeforeAnythingIsBilled()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();
        await Upload(host, $"{folder}/_preset.json", new { prompt = "Fine", image = "elsewhere.jpg" });

        var job = await host.WaitForJobAsync((await host.DropAsync($"{folder}/x.jpg", TestFiles.Jpeg))!);

        Assert.Equal("failed", job["status"]!.GetValue<string>());
        Assert.Equal("invalid_request", job["error"]!["code"]!.GetValue<string>());
        Assert.Contains(
            $"{folder}/_preset.json: 'image' is not a preset field",
            job["error"]!["message"]!.GetValue<string>(),
            StringComparison.Ordinal);
        Assert.DoesNotContain(host.Fal.Requests.All, r => r.Input?.ImageUrl?.Contains(folder, StringComparison.Ordinal) == true);
    }

    private static async Task Upload(PipelineTestHost host, string name, object json) =>
        await host.Storage.Inbox.GetBlobClient(name).UploadAsync(TestFiles.Json(json), overwrite: true, Token);
}
