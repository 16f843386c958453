using System.Text.Json.Nodes;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;
using static Pipeline.IntegrationTests.Batches.BatchTestSupport;

namespace Pipeline.IntegrationTests.Batches;

/// <summary>Manifests: one job per row, every row validated before anything is billed, results beside the videos.</summary>
public sealed class ManifestTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    [Fact]
    public async Task CsvManifest_RunsEveryRow_ItsVideosAndResultsGoToAFolderNamedAfterIt_AndTheSameBytesAgainStartNothing()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();
        await host.Storage.Inbox.GetBlobClient($"{folder}/shoe.jpg").UploadAsync(TestFiles.Jpeg, Token);
        await host.Storage.Inbox.GetBlobClient($"{folder}/art/hat.png").UploadAsync(TestFiles.Png, Token);
        await host.Storage.Inbox.GetBlobClient($"{folder}/_preset.json").UploadAsync(
            TestFiles.Json(new { resolution = "480p", duration = "4" }),
            Token);
        var csv = BinaryData.FromString(
            "prompt,image,name,seed,correlation.sku\r\n" +
            "\"A red shoe, turning slowly\",shoe.jpg,shoe,7,SKU-1\r\n" +
            "A blue hat,art/hat.png,,,SKU-2\r\n" +
            "\"Waves \"\"at dusk\"\"\",,waves,,\r\n");

        var batchId = await host.DropAsync($"{folder}/products.csv", csv);
        Assert.NotNull(batchId);
        var progress = await WaitForBatchAsync(host, batchId, 3);
        var results = await WaitForResultsAsync(host, $"{folder}/products/results.csv", 3);

        Assert.Equal(
            ("manifest", $"inbox/{folder}/products.csv", 3, 3, 0),
            (
                progress["kind"]!.GetValue<string>(),
                progress["name"]!.GetValue<string>(),
                progress["total"]!.GetValue<int>(),
                progress["succeeded"]!.GetValue<int>(),
                progress["refused"]!.GetValue<int>()));
        Assert.Equal($"videos/{folder}/products/results.csv", progress["results"]!.GetValue<string>());
        Assert.Equal(["1", "2", "3"], results.Select(r => r["row"]));
        Assert.All(results, r => Assert.Equal("succeeded", r["status"]));
        Assert.Equal(
            [$"videos/{folder}/products/shoe.mp4", $"videos/{folder}/products/row-0002.mp4", $"videos/{folder}/products/waves.mp4"],
            results.Select(r => r["video"]));
        Assert.Equal("7", results[0]["seed"]);
        foreach (var row in results)
        {
            Assert.True(await host.VideoBlob(row["video"]["videos/".Length..]).ExistsAsync(Token), row["video"]);
            Assert.True(decimal.Parse(row["cost_usd"], System.Globalization.CultureInfo.InvariantCulture) > 0);
        }

        // Each row is a request of its own: its image by a path relative to the manifest, the folder's preset, its correlation.
        var shoe = await host.GetJobAsync(results[0]["job_id"]);
        var shoeInput = host.Fal.Requests.Find(shoe["fal_request_id"]!.GetValue<string>())!.Input!;
        Assert.Equal(
            ("A red shoe, turning slowly", "480p", "4", 7L),
            (shoeInput.Prompt, shoeInput.Resolution, shoeInput.Duration, shoeInput.Seed!.Value));
        Assert.Contains($"/inbox/{folder}/shoe.jpg", shoeInput.ImageUrl, StringComparison.Ordinal);
        Assert.Equal("SKU-1", shoe["correlation"]!["sku"]!.GetValue<string>());
        Assert.Equal(batchId, shoe["batch"]!["id"]!.GetValue<string>());
        Assert.Equal(1, shoe["batch"]!["row"]!.GetValue<int>());
        var waves = await host.GetJobAsync(results[2]["job_id"]);
        Assert.Equal("text-to-video", waves["mode"]!.GetValue<string>());
        Assert.Equal("Waves \"at dusk\"", waves["prompt"]!.GetValue<string>());

        // The same bytes dropped again (a new blob version) are the same batch: nothing new starts.
        var submits = host.Fal.Requests.All.Count;
        Assert.Equal(batchId, await host.DropAsync($"{folder}/products.csv", csv));
        Assert.Equal(submits, host.Fal.Requests.All.Count);

        // The batch's jobs, through the listing.
        using var listing = await host.Http.GetAsync($"/api/videos?batch={batchId}", Token);
        var items = JsonNode.Parse(await listing.Content.ReadAsStringAsync(Token))!["items"]!.AsArray();
        Assert.Equal(
            results.Select(r => r["job_id"]).Order(StringComparer.Ordinal),
            items.Select(i => i!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ManifestWithInvalidRows_IsRefusedWhole_ItsMarkerListingEveryRowsErrors_AndNothingIsBilled()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();
        var jsonl = BinaryData.FromString(
            """
            {"prompt":"A fine row","resolution":"480p","duration":"4"}
            {"prompt":"Bad resolution","resolution":"1080p"}
            not json at all

            {"mode":"image-to-video","prompt":"Missing image","image":"nowhere.jpg"}
            """);

        Assert.Null(await host.DropAsync($"{folder}/plan.jsonl", jsonl));

        var marker = JsonNode.Parse(
            (await host.VideoBlob($"{folder}/plan.error.json").DownloadContentAsync(Token)).Value.Content.ToString())!;
        Assert.Equal("invalid_manifest", marker["error"]!["code"]!.GetValue<string>());
        Assert.Equal("3 of 4 rows are invalid; nothing was started", marker["error"]!["message"]!.GetValue<string>());
        var rows = marker["rows"]!.AsArray();
        Assert.Equal([2, 3, 4], rows.Select(r => r!["row"]!.GetValue<int>()));
        Assert.Contains("resolution", rows[0]!["errors"]!.AsObject().Select(e => e.Key));
        Assert.Contains("not valid JSON", rows[1]!["errors"]!["row"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("nowhere.jpg is not in the inbox", rows[2]!["errors"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(host.Fal.Requests.All, r => r.Input?.Prompt == "A fine row");
    }

    [Fact]
    public async Task AManifestAskingForMoreThanAThousandJobsWithItsVariants_IsRefusedWhole()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();
        var rows = string.Concat(Enumerable.Range(0, 126).Select(i => $"Take {i},480p,4,8\r\n")); // 1,008 jobs

        Assert.Null(await host.DropAsync($"{folder}/huge.csv", BinaryData.FromString("prompt,resolution,duration,variants\r\n" + rows)));

        var marker = JsonNode.Parse(
            (await host.VideoBlob($"{folder}/huge.error.json").DownloadContentAsync(Token)).Value.Content.ToString())!;
        Assert.Equal(
            "the rows ask for 1008 jobs with their variants; a manifest may start at most 1000: split it",
            marker["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain(
            host.Fal.Requests.All,
            r => r.Input?.Prompt.StartsWith("Take ", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task ManifestWithInvalidRows_WhenToldToSkipThem_RunsTheValidRows_AndListsTheOthersInItsResults()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Pipeline:ManifestInvalidRows"] = "Skip");
        var folder = Folder();
        var jsonl = BinaryData.FromString(
            """
            {"prompt":"Runs","resolution":"480p","duration":"4","name":"good"}
            {"prompt":"Bad duration","duration":"99"}
            """);

        var batchId = await host.DropAsync($"{folder}/mixed.jsonl", jsonl);
        var progress = await WaitForBatchAsync(host, batchId!, 1);
        var results = await WaitForResultsAsync(host, $"{folder}/mixed/results.csv", 2);

        Assert.Equal(
            (1, 1, 1),
            (progress["total"]!.GetValue<int>(), progress["succeeded"]!.GetValue<int>(), progress["refused"]!.GetValue<int>()));
        Assert.Equal(("succeeded", $"videos/{folder}/mixed/good.mp4"), (results[0]["status"], results[0]["video"]));
        Assert.Equal(("refused", ""), (results[1]["status"], results[1]["job_id"]));
        Assert.Contains("duration", results[1]["error"], StringComparison.Ordinal);
        Assert.False(await host.VideoBlob($"{folder}/mixed.error.json").ExistsAsync(Token));
    }
}
