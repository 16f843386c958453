using System.Net;
using System.Text.Json.Nodes;
using FalEmulator.Recording;
using Pipeline.Core.Storage;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Pipeline;

/// <summary>Jobs whose files come with the request (<c>multipart/form-data</c>), end to end, and the job listing.</summary>
public sealed class UploadJobTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    private static readonly Dictionary<string, string> Small = new() { ["resolution"] = "480p", ["duration"] = "4" };

    private static Dictionary<string, string> Fields(string prompt, params (string Key, string Value)[] more)
    {
        var fields = new Dictionary<string, string>(Small) { ["prompt"] = prompt };
        foreach (var (key, value) in more)
        {
            fields[key] = value;
        }

        return fields;
    }

    [Fact]
    public async Task ImageToVideo_WithAnUploadedImage_StoresItUnderTheJobAndFalFetchesItThroughASas()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (status, accepted) = await host.SubmitFormAsync(
            "image-to-video",
            Fields("Slow zoom", ("generate_audio", "false"), ("seed", "11")),
            ("image", "harbour.jpg", TestFiles.Jpeg),
            ("end_image", "end.png", TestFiles.Png));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = accepted["id"]!.GetValue<string>();
        var job = await host.WaitForJobAsync(id);
        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        Assert.Equal(11, job["seed"]!.GetValue<long>());

        // Stored under the job id with the sniffed type; fal was given read SAS URLs to exactly those blobs.
        var image = host.Storage.Uploads.GetBlobClient($"{id}/image-1.jpg");
        Assert.Equal("image/jpeg", (await image.GetPropertiesAsync(cancellationToken: Token)).Value.ContentType);
        Assert.Equal(TestFiles.Jpeg.ToArray(), (await image.DownloadContentAsync(Token)).Value.Content.ToArray());
        Assert.True(await host.Storage.Uploads.GetBlobClient($"{id}/end_image-1.png").ExistsAsync(Token));
        var input = host.Fal.Requests.Find(job["fal_request_id"]!.GetValue<string>())!.Input;
        Assert.StartsWith($"{image.Uri}?", input!.ImageUrl!, StringComparison.Ordinal);
        Assert.Contains("sp=r", input!.ImageUrl!, StringComparison.Ordinal);
        Assert.Contains($"/uploads/{id}/end_image-1.png?", input.EndImageUrl!, StringComparison.Ordinal);
        Assert.False(input.GenerateAudio);
    }

    [Fact]
    public async Task ImageToVideo_WithAnUploadedHeicPhoto_FalGetsAnUprightJpegCopy()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var heic = BinaryData.FromBytes(File.ReadAllBytes(Path.Combine(
            AzuriteFixture.FindRepositoryRoot(), "tests", "Pipeline.UnitTests", "Inbox", "Fixtures", "portrait.heic")));

        var (status, accepted) = await host.SubmitFormAsync("image-to-video", Fields("Slow zoom"), ("image", "IMG_0001.HEIC", heic));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = accepted["id"]!.GetValue<string>();
        Assert.Equal("succeeded", (await host.WaitForJobAsync(id))["status"]!.GetValue<string>());
        var upload = host.Storage.Uploads.GetBlobClient($"{id}/image-1.heic");
        Assert.Equal("image/heic", (await upload.GetPropertiesAsync(cancellationToken: Token)).Value.ContentType);
        var input = host.Fal.Requests.Find((await host.WaitForJobAsync(id))["fal_request_id"]!.GetValue<string>())!.Input;
        Assert.Contains($"/uploads/{id}/photo-image_url.jpg?", input!.ImageUrl!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextToVideo_AsAFormWithoutFiles_Succeeds()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (status, accepted) = await host.SubmitFormAsync(
            "text-to-video",
            Fields("A lighthouse at dusk", ("aspect_ratio", "9:16"), ("generate_audio", "on")));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var job = await host.WaitForJobAsync(accepted["id"]!.GetValue<string>());
        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        var input = host.Fal.Requests.Find(job["fal_request_id"]!.GetValue<string>())!.Input;
        Assert.Equal("9:16", input!.AspectRatio);
        Assert.True(input.GenerateAudio);
    }

    [Fact]
    public async Task ReferenceToVideo_WithImagesVideoAndAudio_SendsThemInOrder()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (status, accepted) = await host.SubmitFormAsync(
            "reference-to-video",
            Fields("@Image1 and @Image2 dance to @Audio1 like @Video1"),
            ("images[]", "a.jpg", TestFiles.Jpeg),
            ("images[]", "b.png", TestFiles.Png),
            ("videos[]", "move.mp4", TestFiles.Mp4),
            ("audios[]", "beat.wav", TestFiles.Wav));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = accepted["id"]!.GetValue<string>();
        var job = await host.WaitForJobAsync(id);
        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        var input = host.Fal.Requests.Find(job["fal_request_id"]!.GetValue<string>())!.Input;
        Assert.Collection(input!.ImageUrls,
            first => Assert.Contains($"/uploads/{id}/images-1.jpg?", first, StringComparison.Ordinal),
            second => Assert.Contains($"/uploads/{id}/images-2.png?", second, StringComparison.Ordinal));
        Assert.Contains($"/uploads/{id}/videos-1.mp4?", Assert.Single(input.VideoUrls), StringComparison.Ordinal);
        Assert.Contains($"/uploads/{id}/audios-1.wav?", Assert.Single(input.AudioUrls), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_NonImagePart_Answers400NamingThePartAndKeepsNothing()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var before = host.Fal.Recorder.Calls.Count(c => c.Kind == CallKind.Submit);

        var (status, problem) = await host.SubmitFormAsync("image-to-video", Fields("Slow zoom"),
            ("image", "not-really.png", BinaryData.FromString("<html>this is not an image</html>")));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(["image"], problem["errors"]!.AsObject().Select(e => e.Key)); // not also "image_url is required"
        Assert.Equal(
            "must be a JPEG, PNG, WebP or HEIC image (its content is not)",
            Assert.Single(problem["errors"]!["image"]!.AsArray())!.GetValue<string>());
        Assert.Equal(before, host.Fal.Recorder.Calls.Count(c => c.Kind == CallKind.Submit));
    }

    [Fact]
    public async Task Submit_OversizedImage_Answers400WithTheLimitAndRemovesWhatWasStored()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var jpeg = TestFiles.Jpeg.ToArray();
        var oversized = new byte[InputSniffer.MaxImageBytes + 1];
        jpeg.CopyTo(oversized, 0);

        var key = Guid.NewGuid().ToString();

        var (status, problem) = await host.SubmitFormAsync("reference-to-video", key, Fields("@Image1 and @Image2"),
            ("images[]", "ok.jpg", TestFiles.Jpeg), ("images[]", "huge.jpg", BinaryData.FromBytes(oversized)));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(
            "is larger than 30 MB; the limit is 30 MB",
            Assert.Single(problem["errors"]!["images[]"]!.AsArray())!.GetValue<string>());
        var id = global::Pipeline.Core.Jobs.JobIds.ForIdempotencyKey("reference-to-video", key);
        await foreach (var blob in host.Storage.Uploads.GetBlobsAsync(
            new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = id + "/" },
            Token))
        {
            Assert.Fail($"a refused request left {blob.Name} behind");
        }
    }

    [Fact]
    public async Task Submit_MissingImageAndTooManyEndImages_NamesEachFieldAsSent()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (status, problem) = await host.SubmitFormAsync("image-to-video", Fields(""),
            ("end_image", "a.jpg", TestFiles.Jpeg), ("end_image", "b.jpg", TestFiles.Jpeg), ("poster", "c.jpg", TestFiles.Jpeg));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = problem["errors"]!.AsObject();
        Assert.Contains("prompt", errors.Select(e => e.Key));
        Assert.Contains("image_url", errors.Select(e => e.Key)); // the model's field: no image part was sent
        Assert.Equal("takes one file", errors["end_image"]![0]!.GetValue<string>());
        Assert.StartsWith("is not a file field", errors["poster"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_TextFieldNamingAnotherBlob_IsRefused()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var (status, problem) = await host.SubmitFormAsync(
            "image-to-video",
            Fields("Slow zoom", ("image_url", "blob:videos/someone-elses.mp4")));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("must be an http(s) URL or a file sent with the request", problem["errors"]!["image_url"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Submit_SameFormTwiceWithOneIdempotencyKey_StoresTheFilesOnceAndAnswersTheSameJob()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        using var first = Form(("image", "a.jpg", TestFiles.Jpeg));
        using var second = Form(("image", "a.jpg", TestFiles.Jpeg)); // a retry of the same request

        var a = await PostAsync(host, first, "upload-key-1");
        var id = a["id"]!.GetValue<string>();
        var stored = await Uploaded();
        var b = await PostAsync(host, second, "upload-key-1");

        Assert.Equal(id, b["id"]!.GetValue<string>());
        Assert.True(a["created"]!.GetValue<bool>());
        Assert.False(b["created"]!.GetValue<bool>());
        Assert.Single(stored);
        Assert.Equal(stored, await Uploaded()); // the repeat's file was not stored again (same blobs, same ETags)

        async Task<List<string>> Uploaded() =>
            [
                .. host.Storage.Uploads
                    .GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, id + "/", Token)
                    .Select(blob => $"{blob.Name} {blob.Properties.ETag}"),
            ];

        static MultipartFormDataContent Form((string Field, string Name, BinaryData Content) file)
        {
            var form = new MultipartFormDataContent { { new StringContent("Slow zoom"), "prompt" } };
            form.Add(new ByteArrayContent(file.Content.ToArray()), file.Field, file.Name);
            return form;
        }

        static async Task<JsonObject> PostAsync(PipelineTestHost host, MultipartFormDataContent form, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/videos/image-to-video") { Content = form };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await host.Http.SendAsync(request, Token);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!.AsObject();
        }
    }

    [Fact]
    public async Task List_PagesNewestFirstThroughEveryJobOnce()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var (_, accepted, _) = await host.SubmitAsync(
                "text-to-video",
                new { prompt = $"Job {i}", resolution = "480p", duration = "4" });
            ids.Add(accepted["id"]!.GetValue<string>());
        }

        ids.Add((await host.DropAsync($"listing/{Guid.NewGuid():N}.jpg", TestFiles.Jpeg))!);
        ids.Reverse();

        // The index is shared with the other tests on this Azurite (whose jobs this host's engine does not know, so
        // they are left out of its pages): page until every job of this test has been seen.
        var seen = new List<JsonObject>();
        string? cursor = null;
        while (!ids.All(id => seen.Any(j => j["id"]!.GetValue<string>() == id)))
        {
            using var response = await host.Http.GetAsync(
                $"/api/videos?limit=2{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}",
                Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!.AsObject();
            var items = page["items"]!.AsArray();
            Assert.True(items.Count <= 2, $"a page of limit 2 held {items.Count}");
            seen.AddRange(items.Select(i => i!.AsObject()));
            cursor = page["next_cursor"]?.GetValue<string>();
            Assert.True(
                cursor is not null || ids.All(id => seen.Any(j => j["id"]!.GetValue<string>() == id)),
                "the last page came before every job was listed");
        }

        Assert.Equal(ids, seen.Select(j => j["id"]!.GetValue<string>()).Where(ids.Contains));
        Assert.Equal(seen.Count, seen.Select(j => j["id"]!.GetValue<string>()).Distinct().Count());
        Assert.Equal("Job 4", seen.Single(j => j["id"]!.GetValue<string>() == ids[1])["prompt"]!.GetValue<string>());
        Assert.StartsWith(
            "inbox/listing/",
            seen.Single(j => j["id"]!.GetValue<string>() == ids[0])["source"]!.GetValue<string>(),
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("ten")]
    public async Task List_BadLimit_Answers400NamingLimit(string limit)
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        using var response = await host.Http.GetAsync($"/api/videos?limit={limit}", Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!["errors"]!["limit"]);
    }
}
