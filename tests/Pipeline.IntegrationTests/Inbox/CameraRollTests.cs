using Pipeline.Core.Storage;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;
using static Pipeline.IntegrationTests.Batches.BatchTestSupport;

namespace Pipeline.IntegrationTests.Inbox;

/// <summary>
/// A new user fills a folder the way a phone exports its camera roll: HEIC and JPEG versions of the same shot, upper- and
/// lower-case extensions, photos stored sideways with an EXIF orientation, sidecars for some, a manifest naming some,
/// Apple's edit files and a clip beside them, a damaged photo. Every photo that should run is one fal request and one
/// video, nothing is overwritten, each refusal leaves its marker, and fal sees only upright JPEG, PNG and WebP.
/// </summary>
public sealed class CameraRollTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    private static BinaryData Fixture(string name) =>
        BinaryData.FromBytes(File.ReadAllBytes(
            Path.Combine(AzuriteFixture.FindRepositoryRoot(), "tests", "Pipeline.UnitTests", "Inbox", "Fixtures", name)));

    [Fact]
    public async Task APhonesCameraRoll_OneRequestAndOneVideoPerPhoto_UprightAtFal_NothingOverwritten()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s =>
        {
            s["Pipeline:SidecarGrace"] = "00:00:02";
            s["Pipeline:LoneRequestWait"] = "00:00:10"; // how long a manifest waits for its photos, and photos beside it for it
        });
        var folder = Folder();
        var roll = new List<(string Name, BinaryData Content)>
        {
            ("album.csv", BinaryData.FromString(
                "prompt,image,name\r\n"
                + "The bay at noon,IMG_0010.JPG,bay\r\n"
                + "The old town,IMG_0011.jpg,town\r\n")),
            ("IMG_0001.HEIC", Fixture("portrait.heic")), ("IMG_0001.JPG", Fixture("orientation-6.jpg")), // one shot, two formats
            ("IMG_0002.JPG", Fixture("plain.jpg")),
            ("IMG_0002.json", TestFiles.Json(new { prompt = "Waves on the rocks", duration = "4" })),
            ("IMG_0003.jpg", Fixture("orientation-3.jpg")), ("IMG_0003.AAE", BinaryData.FromString("<plist/>")),
            ("IMG_0004.jpeg", Fixture("orientation-8.jpg")),
            ("IMG_0005.PNG", Fixture("plain.png")),
            ("IMG_0006.webp", Fixture("plain.webp")),
            ("IMG_0007.heic", Fixture("landscape.heic")), ("IMG_0008.JPG", Fixture("location.jpg")),
            ("IMG_0009.Json", TestFiles.Json(new { prompt = "A market at dawn", duration = "4" })), ("IMG_0009.jpg", Fixture("plain.jpg")),
            ("IMG_0010.JPG", Fixture("plain.jpg")), ("IMG_0011.jpg", Fixture("orientation-6.jpg")), // the manifest's
            ("IMG_0012.MOV", BinaryData.FromBytes([0, 0, 0, 20, .. "ftypqt  "u8.ToArray(), 0, 0, 0, 0, .. "qt  "u8.ToArray()])),
            ("IMG_0013.HEIC", Fixture("corrupt.heic")), ("IMG_0014.jpg", BinaryData.Empty),
        };
        for (var i = 15; i < 26; i++)
        {
            roll.Add(($"IMG_00{i}.{(i % 2 == 0 ? "JPG" : "jpg")}", Fixture(i % 3 == 0 ? "orientation-6.jpg" : "plain.jpg")));
        }

        // The manifest comes first, before the photos it names: it waits for them (the trigger hands it over again).
        await Assert.ThrowsAsync<global::Pipeline.Core.Inbox.ManifestWaitingException>(
            () => host.DropAsync($"{folder}/{roll[0].Name}", roll[0].Content));
        var ids = new Dictionary<string, string?>();
        foreach (var (name, content) in roll.Skip(1))
        {
            ids[name] = await host.DropAsync($"{folder}/{name}", content);
        }

        Assert.NotNull(await host.TriggerInboxAsync($"{folder}/album.csv"));

        var jobs = new Dictionary<string, System.Text.Json.Nodes.JsonObject>();
        foreach (var (name, id) in ids.Where(p => p.Value is not null))
        {
            jobs[name] = await host.WaitForJobAsync(id!, TimeSpan.FromSeconds(120));
        }

        var results = await WaitForResultsAsync(host, $"{folder}/album/results.csv", 2);

        // Which photos ran: 21 on their own (both versions of IMG_0001 among them), the manifest's two through its rows;
        // not the damaged one, nor the empty one (a marker, no job), nor the edit file and the clip (no job).
        var ran = jobs.Where(j => j.Value["status"]!.GetValue<string>() == "succeeded").Select(j => j.Key).Order().ToList();
        Assert.Equal(21, ran.Count);
        Assert.Null(ids["IMG_0014.jpg"]);
        Assert.All(results, r => Assert.Equal("succeeded", r["status"]));
        Assert.Equal("superseded", jobs["IMG_0002.json"]["error"]!["code"]!.GetValue<string>()); // the .JPG's sidecar
        Assert.Equal("superseded", jobs["IMG_0009.Json"]["error"]!["code"]!.GetValue<string>());
        Assert.Equal("superseded", jobs["IMG_0010.JPG"]["error"]!["code"]!.GetValue<string>()); // the manifest's
        Assert.Equal("superseded", jobs["IMG_0011.jpg"]["error"]!["code"]!.GetValue<string>());
        Assert.Equal("invalid_request", jobs["IMG_0013.HEIC"]["error"]!["code"]!.GetValue<string>());
        Assert.Null(ids["IMG_0003.AAE"]); // neither a photo nor a request: nothing starts
        Assert.Null(ids["IMG_0012.MOV"]);

        // One fal request per photo that ran (the manifest's two in its rows), each video of its own.
        var requests = host.Fal.Requests.All.ToList(); // this test's own fal: its requests are the roll's
        Assert.Equal(ran.Count + results.Count, requests.Count);
        var videos = jobs.Values
            .Concat(results.Select(r => new System.Text.Json.Nodes.JsonObject
            {
                ["video"] = new System.Text.Json.Nodes.JsonObject { ["blob"] = r["video"] },
            }))
            .Select(j => j["video"]?["blob"]?.GetValue<string>())
            .OfType<string>()
            .ToList();
        Assert.Equal(videos.Count, videos.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        // The same shot as HEIC and JPEG: a video each, not a replacement. Whichever is claimed first keeps the plain name
        // (the drops race), the other is named by its format.
        var shot = jobs["IMG_0001.HEIC"]["video"]!["blob"]!.GetValue<string>();
        var jpeg = jobs["IMG_0001.JPG"]["video"]!["blob"]!.GetValue<string>();
        Assert.Contains(
            (shot, jpeg),
            new[]
            {
                ($"videos/{folder}/IMG_0001.mp4", $"videos/{folder}/IMG_0001.jpg.mp4"),
                ($"videos/{folder}/IMG_0001.heic.mp4", $"videos/{folder}/IMG_0001.mp4"),
            });

        // fal fetched upright JPEG, PNG and WebP only.
        var seen = requests.SelectMany(r => r.Images).ToList();
        Assert.Equal(requests.Count, seen.Count);
        Assert.All(seen, image => Assert.Contains(image.Format, new[] { "jpeg", "png", "webp" }));
        Assert.All(seen, image => Assert.Equal(1, image.Orientation));

        // Each refusal leaves its marker where its video would have gone.
        Assert.True(await host.VideoBlob($"{folder}/IMG_0013{VideoStore.ErrorMarkerSuffix}").ExistsAsync(Token));
        Assert.True(await host.VideoBlob($"{folder}/IMG_0014{VideoStore.ErrorMarkerSuffix}").ExistsAsync(Token));
    }
}
