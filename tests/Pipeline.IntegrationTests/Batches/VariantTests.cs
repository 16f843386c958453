using System.Net;
using System.Text.Json.Nodes;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;
using static Pipeline.IntegrationTests.Batches.BatchTestSupport;

namespace Pipeline.IntegrationTests.Batches;

/// <summary><c>variants: N</c> makes N jobs of one request, each with its own recorded seed, grouped as a batch.</summary>
public sealed class VariantTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    [Fact]
    public async Task HttpVariants_AnswerWithEveryJob_EachWithItsOwnSeed_AndAreOneBatch()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (status, body, _) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = "Three takes of a lighthouse", resolution = "480p", duration = "4", seed = 100, variants = 3 },
            "variants-key-" + Guid.NewGuid());

        Assert.Equal(HttpStatusCode.Accepted, status);
        var jobs = body["jobs"]!.AsArray();
        Assert.Equal([1, 2, 3], jobs.Select(j => j!["variant"]!.GetValue<int>()));
        Assert.Equal([100L, 101L, 102L], jobs.Select(j => j!["seed"]!.GetValue<long>()));
        Assert.Equal(body["id"]!.GetValue<string>(), jobs[0]!["id"]!.GetValue<string>());
        Assert.Equal(3, jobs.Select(j => j!["id"]!.GetValue<string>()).Distinct().Count());
        var batchId = body["batch_id"]!.GetValue<string>();
        var progress = await WaitForBatchAsync(host, batchId, 3);
        Assert.Equal(
            ("variants", 3, 3),
            (progress["kind"]!.GetValue<string>(), progress["total"]!.GetValue<int>(), progress["succeeded"]!.GetValue<int>()));
        foreach (var job in jobs)
        {
            var view = await host.GetJobAsync(job!["id"]!.GetValue<string>());
            Assert.Equal(job["seed"]!.GetValue<long>(), host.Fal.Requests.Find(view["fal_request_id"]!.GetValue<string>())!.Input!.Seed);
            Assert.Equal(3, view["variant"]!["of"]!.GetValue<int>());
        }

        // Without a seed, each variant still gets one of its own, recorded in the answer and sent to fal.
        var (_, unseeded, _) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = "Two takes", resolution = "480p", duration = "4", variants = 2 });
        var seeds = unseeded["jobs"]!.AsArray().Select(j => j!["seed"]!.GetValue<long>()).ToList();
        Assert.Equal(2, seeds.Distinct().Count());
        Assert.Equal(
            HttpStatusCode.BadRequest,
            (await host.SubmitAsync("text-to-video", new { prompt = "Too many", variants = 9 })).Status);
    }

    [Fact]
    public async Task InboxVariantsFromAPreset_AreStoredAsNameV1ToVn_InTheFoldersBatch()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();
        await host.Storage.Inbox.GetBlobClient($"{folder}/_preset.json").UploadAsync(
            TestFiles.Json(new { resolution = "480p", duration = "4", variants = 2 }),
            Token);

        var first = await host.DropAsync($"{folder}/harbour.jpg", TestFiles.Jpeg);
        var job = await host.WaitForJobAsync(first!);
        var batchId = job["batch"]!["id"]!.GetValue<string>();
        var progress = await WaitForBatchAsync(host, batchId, 2);

        Assert.Equal(("folder", $"inbox/{folder}/", 2, 2), (progress["kind"]!.GetValue<string>(), progress["name"]!.GetValue<string>(),
            progress["total"]!.GetValue<int>(), progress["succeeded"]!.GetValue<int>()));
        Assert.True(await host.VideoBlob($"{folder}/harbour.v1.mp4").ExistsAsync(Token));
        Assert.True(await host.VideoBlob($"{folder}/harbour.v2.mp4").ExistsAsync(Token));
        Assert.False(await host.VideoBlob($"{folder}/harbour.mp4").ExistsAsync(Token));
        using var listing = await host.Http.GetAsync($"/api/videos?batch={batchId}", Token);
        var items = JsonNode.Parse(await listing.Content.ReadAsStringAsync(Token))!["items"]!.AsArray();
        var seeds = items.Select(i => host.Fal.Requests.Find(i!["fal_request_id"]!.GetValue<string>())!.Input!.Seed).ToList();
        Assert.Equal(2, seeds.Distinct().Count());
        Assert.All(seeds, s => Assert.NotNull(s));

        // Redelivered, the drop starts nothing new.
        var submits = host.Fal.Requests.All.Count;
        Assert.Equal(first, await host.TriggerInboxAsync($"{folder}/harbour.jpg"));
        Assert.Equal(submits, host.Fal.Requests.All.Count);
        Assert.Equal(
            HttpStatusCode.NotFound,
            (await host.Http.GetAsync("/api/batches/batch-00000000000000000000000000000000", Token)).StatusCode);
    }
}
