using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;
using static Pipeline.IntegrationTests.Batches.BatchTestSupport;

namespace Pipeline.IntegrationTests.Inbox;

/// <summary>
/// Drop folders as people and cameras fill them: extensions in any case, two files of one stem, a variant's name taken
/// by a file, a manifest beside the images it names — one fal request per image that should run, one video each, and
/// nothing overwritten.
/// </summary>
public sealed class OneDropOneVideoTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    private static int Submits(PipelineTestHost host, string prompt) =>
        host.Fal.Requests.All.Count(r => r.Input?.Prompt.Contains(prompt, StringComparison.Ordinal) == true);

    [Fact]
    public async Task ACameraJpgWithItsSidecar_IsOneJobUsingTheSidecar_AndTheSidecarStartsNothing()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();
        var prompt = $"Harbour lights {Guid.NewGuid():N}";

        var sidecar = await host.DropAsync($"{folder}/IMG_0002.json", TestFiles.Json(new { prompt, duration = "4" }));
        var image = await host.DropAsync($"{folder}/IMG_0002.JPG", TestFiles.Jpeg);
        var job = await host.WaitForJobAsync(image!);
        var side = await host.WaitForJobAsync(sidecar!, TimeSpan.FromSeconds(90));

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        Assert.Equal($"videos/{folder}/IMG_0002.mp4", job["video"]!["blob"]!.GetValue<string>());
        Assert.Equal("superseded", side["error"]!["code"]!.GetValue<string>()); // the .json is the .JPG's sidecar
        Assert.Equal(prompt, job["prompt"]!.GetValue<string>()); // an inbox job shows the prompt its sidecar gave
        Assert.Equal(1, Submits(host, prompt));
    }

    [Fact]
    public async Task TwoFilesOfOneStem_EachGetsAVideoOfItsOwn()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();

        var jpg = await host.DropAsync($"{folder}/a.jpg", TestFiles.Jpeg, new Dictionary<string, string> { ["prompt"] = "the jpg" });
        var png = await host.DropAsync($"{folder}/a.png", TestFiles.Png, new Dictionary<string, string> { ["prompt"] = "the png" });
        var first = await host.WaitForJobAsync(jpg!);
        var second = await host.WaitForJobAsync(png!);

        Assert.Equal($"videos/{folder}/a.mp4", first["video"]!["blob"]!.GetValue<string>());
        Assert.Equal($"videos/{folder}/a.png.mp4", second["video"]!["blob"]!.GetValue<string>());
        var stored = await host.VideoBlob($"{folder}/a.mp4").GetPropertiesAsync(cancellationToken: Token);
        Assert.Equal(first["fal_request_id"]!.GetValue<string>(), stored.Value.Metadata["fal_request_id"]); // not replaced by the png's
        Assert.True(await host.VideoBlob($"{folder}/a.png.mp4").ExistsAsync(Token));
    }

    [Fact]
    public async Task AFileNamedLikeAVariant_DoesNotTakeTheVariantsVideo()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();

        var own = await host.DropAsync($"{folder}/a.v2.jpg", TestFiles.Jpeg, new Dictionary<string, string> { ["prompt"] = "its own" });
        var takes = await host.DropAsync(
            $"{folder}/a.jpg",
            TestFiles.Jpeg,
            new Dictionary<string, string> { ["prompt"] = "two takes", ["variants"] = "2" });
        var ownJob = await host.WaitForJobAsync(own!);
        var firstTake = await host.WaitForJobAsync(takes!);
        var progress = await WaitForBatchAsync(host, firstTake["batch"]!["id"]!.GetValue<string>(), 3);

        Assert.Equal($"videos/{folder}/a.v2.mp4", ownJob["video"]!["blob"]!.GetValue<string>());
        Assert.Equal(3, progress["succeeded"]!.GetValue<int>());
        Assert.True(await host.VideoBlob($"{folder}/a.v1.mp4").ExistsAsync(Token));
        Assert.True(await host.VideoBlob($"{folder}/a.jpg.v2.mp4").ExistsAsync(Token)); // the name a.v2.mp4 was the file's
    }

    [Fact]
    public async Task AManifestBeforeItsImages_TheImagesStartNoJobOfTheirOwn()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();
        var prompt = $"Row prompt {Guid.NewGuid():N}";
        await host.Storage.Inbox.GetBlobClient($"{folder}/x.jpg").UploadAsync(TestFiles.Jpeg, Token); // there, not yet handled
        var batchId = await host.DropAsync($"{folder}/list.csv", BinaryData.FromString($"prompt,image,name\r\n{prompt},x.jpg,x\r\n"));
        await WaitForBatchAsync(host, batchId!, 1);

        var own = await host.DropAsync($"{folder}/x.jpg", TestFiles.Jpeg); // its blob event comes now
        var ownJob = await host.WaitForJobAsync(own!);

        Assert.Equal("superseded", ownJob["error"]!["code"]!.GetValue<string>());
        Assert.Contains("list.csv", ownJob["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(ownJob["fal_request_id"]);
        Assert.Equal(1, Submits(host, prompt));
        Assert.Single(host.Fal.Requests.All, r => r.Input?.ImageUrl?.Contains($"{folder}/x.jpg", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task AManifestAfterItsImagesWentToFal_LeavesTheirRowsToTheirOwnVideos()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();
        var own = await host.DropAsync($"{folder}/y.jpg", TestFiles.Jpeg, new Dictionary<string, string> { ["prompt"] = "dropped alone" });
        var ownJob = await host.WaitForJobAsync(own!);

        var batchId = await host.DropAsync(
            $"{folder}/late.csv",
            BinaryData.FromString("prompt,image,name\r\nA later prompt,y.jpg,y\r\nWaves,,waves\r\n"));
        var results = await WaitForResultsAsync(host, $"{folder}/late/results.csv", 2);

        Assert.Equal("succeeded", ownJob["status"]!.GetValue<string>());
        Assert.Equal("superseded", results[0]["status"]);
        Assert.Equal($"videos/{folder}/y.mp4", results[0]["video"]); // the image's own video stands for its row
        Assert.Equal("succeeded", results[1]["status"]);
        Assert.Single(host.Fal.Requests.All, r => r.Input?.ImageUrl?.Contains($"{folder}/y.jpg", StringComparison.Ordinal) == true);
        Assert.NotNull(batchId);
    }
}
