using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FalEmulator.Model;
using FalEmulator.Recording;
using FalEmulator.Tests.Support;

namespace FalEmulator.Tests.Api;

/// <summary>What the model fetched, per request: so a test can assert that fal only ever saw upright JPEG, PNG or WebP.</summary>
public sealed class InputImageRecordingTests
{
    private static async Task<(HttpStatusCode Code, JsonObject Result, string RequestId)> RunToEndAsync(
        EmulatorClient fal, string endpoint, object input)
    {
        var (submitCode, submitted, _) = await fal.SubmitAsync(endpoint, input);
        Assert.Equal(HttpStatusCode.OK, submitCode);
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());
        using var response = await fal.Http.GetAsync(submitted["response_url"]!.GetValue<string>(), EmulatorClient.Token);
        return (response.StatusCode, await EmulatorClient.ReadAsync(response), submitted["request_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task ImageToVideo_AHeicImage_IsRefusedAsAnUnsupportedFormatAndRecordedAsHeif()
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();
        var url = pipeline.Serve("IMG_0001.HEIC", Fixtures.Bytes("portrait.heic"), "image/heic");

        var (code, result, id) = await RunToEndAsync(fal, SeedanceEndpoints.ImageToVideo,
            new { prompt = "zoom", image_url = url, resolution = "480p", duration = "4" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        var detail = Assert.Single(result["detail"]!.AsArray())!;
        Assert.Equal("unsupported_image_format", detail["type"]!.GetValue<string>());
        var supported = detail["ctx"]!["supported_formats"]!.AsArray().Select(f => f!.GetValue<string>());
        Assert.Equal([".jpg", ".jpeg", ".png", ".webp"], supported);
        Assert.Equal(url, detail["input"]!.GetValue<string>());
        Assert.Equal([new RecordedImage("image_url", "heif", null, null, null)], fal.Host.Requests.Find(id)!.Images);
    }

    [Fact]
    public async Task ReferenceToVideo_EveryImageFetched_IsRecordedInOrderWithFormatSizeAndOrientation()
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();
        string[] urls =
        [
            pipeline.Serve("sideways.jpg", Fixtures.Bytes("orientation-6.jpg"), "image/jpeg"),
            pipeline.Serve("square.webp", Fixtures.Bytes("square-200x200.webp"), "image/webp"),
            pipeline.Serve("portrait.png", Fixtures.Bytes("portrait-64x96.png"), "image/png"),
            pipeline.Serve("notes.txt", Fixtures.Bytes("not-an-image.txt"), "text/plain"),
        ];

        // The text file fails the request before any video is rendered; every input is still fetched first.
        var (code, result, id) = await RunToEndAsync(fal, SeedanceEndpoints.ReferenceToVideo,
            new { prompt = "@Image1 waves", image_urls = urls });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        var refused = Assert.Single(result["detail"]!.AsArray())!;
        Assert.Equal(["body", "image_urls", "3"], refused["loc"]!.AsArray().Select(l => l!.ToString()));
        RecordedImage[] expected =
        [
            new("image_urls[0]", "jpeg", 144, 96, 6), // stored sideways: fal would show it on its side
            new("image_urls[1]", "webp", 200, 200, 1),
            new("image_urls[2]", "png", 64, 96, 1),
            new("image_urls[3]", null, null, null, null),
        ];
        Assert.Equal(expected, fal.Host.Requests.Find(id)!.Images);

        var listed = await fal.Http.GetFromJsonAsync<JsonArray>("/_emulator/requests", EmulatorClient.Token);
        var images = listed!.Single(r => r!["request_id"]!.GetValue<string>() == id)!["images"]!.AsArray();
        Assert.Equal(
            """{"field":"image_urls[0]","format":"jpeg","width":144,"height":96,"orientation":6}""",
            images[0]!.ToJsonString());
        Assert.Equal(4, images.Count);
    }

    [Fact]
    public async Task ARequestWhoseImageCannotBeDownloaded_IsListedWithItsErrorType()
    {
        // The chaos audit tells a request that made nothing (fal could not fetch the job's inputs) from a bill by this.
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();

        var (code, _, id) = await RunToEndAsync(fal, SeedanceEndpoints.ImageToVideo,
            new { prompt = "zoom", image_url = pipeline.BaseUrl + "/inputs/nothing-here.jpg", resolution = "480p", duration = "4" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        var listed = await fal.Http.GetFromJsonAsync<JsonArray>("/_emulator/requests", EmulatorClient.Token);
        var request = listed!.Single(r => r!["request_id"]!.GetValue<string>() == id)!;
        Assert.Equal("file_download_error", request["error_type"]!.GetValue<string>());
    }
}
