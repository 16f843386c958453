using System.Net;
using System.Text.Json.Nodes;
using FalEmulator.Model;
using FalEmulator.Tests.Support;

namespace FalEmulator.Tests.Api;

/// <summary>What the emulated model does with its input: fal validates inside the runner, after accepting the submit.</summary>
public sealed class ModelBehaviourTests
{
    private static async Task<(HttpStatusCode Code, JsonObject Result, JsonObject Status, HttpResponseMessage Response)> RunToEndAsync(
        EmulatorClient fal, string endpoint, object input)
    {
        var (submitCode, submitted, _) = await fal.SubmitAsync(endpoint, input);
        Assert.Equal(HttpStatusCode.OK, submitCode);
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());
        var (_, status) = await fal.GetAsync(submitted["status_url"]!.GetValue<string>());
        var response = await fal.Http.GetAsync(submitted["response_url"]!.GetValue<string>(), EmulatorClient.Token);
        return (response.StatusCode, await EmulatorClient.ReadAsync(response), status, response);
    }

    private static IEnumerable<(string Loc, string Type)> Errors(JsonObject body) =>
        body["detail"]!.AsArray().Select(d => (
            string.Join('.', d!["loc"]!.AsArray().Select(l => l!.ToString())),
            d["type"]!.GetValue<string>()));

    [Fact]
    public async Task InvalidInput_IsAcceptedThenCompletesWith422ListingEveryProblem()
    {
        await using var fal = await EmulatorClient.StartAsync();

        var (code, result, status, response) = await RunToEndAsync(fal, SeedanceEndpoints.ImageToVideo,
            new { resolution = "1080p", duration = 5, aspect_ratio = "2:1", generate_audio = "maybe", seed = 1.5 });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal(
            new[] { ("body.prompt", "missing"), ("body.resolution", "one_of"), ("body.duration", "one_of"), ("body.aspect_ratio", "one_of"),
                ("body.generate_audio", "bool_parsing"), ("body.seed", "int_from_float"), ("body.image_url", "missing") }.Order(),
            Errors(result).Order());
        var resolution = result["detail"]!.AsArray()
            .Single(d => d!["type"]!.GetValue<string>() == "one_of" && d["loc"]![1]!.GetValue<string>() == "resolution")!;
        Assert.Equal(["480p", "720p"], resolution["ctx"]!["expected"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal("https://docs.fal.ai/errors/#one_of", resolution["url"]!.GetValue<string>());
        Assert.NotEmpty(resolution["msg"]!.GetValue<string>());
        Assert.Equal("false", response.Headers.GetValues("X-Fal-Retryable").Single());
        Assert.Equal("COMPLETED", status["status"]!.GetValue<string>());
        Assert.Equal("Invalid status code: 422", status["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReferenceToVideo_OverTheFileLimits_IsRefusedPerField()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var urls = Enumerable.Range(0, 10).Select(i => $"https://example.invalid/{i}.png").ToArray();

        var (code, result, _, _) = await RunToEndAsync(fal, SeedanceEndpoints.ReferenceToVideo,
            new { prompt = "@Image1 dances", image_urls = urls, video_urls = urls[..4], audio_urls = new[] { "a", "b", "c", "d" } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        var errors = Errors(result).ToList();
        Assert.Contains(("body.image_urls", "sequence_too_long"), errors);
        Assert.Contains(("body.video_urls", "sequence_too_long"), errors);
        Assert.Contains(("body.audio_urls", "sequence_too_long"), errors);
        Assert.Contains(("body", "value_error"), errors); // more than 12 files in all
    }

    [Fact]
    public async Task ReferenceToVideo_AudioWithoutImageOrVideo_IsRefused()
    {
        await using var fal = await EmulatorClient.StartAsync();

        var (code, result, _, _) = await RunToEndAsync(fal, SeedanceEndpoints.ReferenceToVideo,
            new { prompt = "a song", audio_urls = new[] { "https://example.invalid/a.mp3" } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Contains(("body.audio_urls", "value_error"), Errors(result));
    }

    [Fact]
    public async Task ImageToVideo_ImageUrlThatCannotBeDownloaded_FailsWithFileDownloadError()
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();
        var missing = pipeline.BaseUrl + "/inputs/nothing-here.jpg";

        var (code, result, _, _) = await RunToEndAsync(fal, SeedanceEndpoints.ImageToVideo,
            new { prompt = "zoom", image_url = missing, resolution = "480p", duration = "4" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        var detail = Assert.Single(result["detail"]!.AsArray())!;
        Assert.Equal("file_download_error", detail["type"]!.GetValue<string>());
        Assert.Equal(["body", "image_url"], detail["loc"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal(missing, detail["input"]!.GetValue<string>());
    }

    [Fact]
    public async Task ImageToVideo_ImageUrlThatIsNotAnImage_FailsWithUnsupportedImageFormat()
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();
        var url = pipeline.Serve("notes.txt", Fixtures.Bytes("not-an-image.txt"), "text/plain");

        var (code, result, _, _) = await RunToEndAsync(fal, SeedanceEndpoints.ImageToVideo,
            new { prompt = "zoom", image_url = url, resolution = "480p", duration = "4" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal("unsupported_image_format", result["detail"]![0]!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("480p", "auto", "4", false, 480, 640, 4)] // auto: the 2:3 portrait image is nearest to 3:4
    [InlineData("480p", "16:9", "auto", true, 854, 480, 5)]
    public async Task ImageToVideo_FromAServedImage_ServesAnMp4AsRequested(
        string resolution, string aspectRatio, string duration, bool audio, int width, int height, int seconds)
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();
        var url = pipeline.Serve("portrait.jpg", Fixtures.Bytes("portrait-480x720.jpg"), "image/jpeg");

        var (code, result, _, _) = await RunToEndAsync(fal, SeedanceEndpoints.ImageToVideo,
            new { prompt = "zoom", image_url = url, resolution, aspect_ratio = aspectRatio, duration, generate_audio = audio });

        Assert.Equal(HttpStatusCode.OK, code);
        using var anonymous = new HttpClient();
        var bytes = await anonymous.GetByteArrayAsync(result["video"]!["url"]!.GetValue<string>(), EmulatorClient.Token);
        var mp4 = Media.Mp4Inspector.Parse(bytes);
        Assert.Contains("ftyp", mp4.TopLevelTypes);
        Assert.Contains("moov", mp4.TopLevelTypes);
        var video = Assert.Single(mp4.VideoTracks);
        Assert.Equal((width, height), ((int)video.Width, (int)video.Height));

        Assert.InRange(mp4.MovieDurationSeconds, seconds - 0.25, seconds + 0.25);
        Assert.Equal(audio ? 1 : 0, mp4.AudioTracks.Count());
    }

    [Fact]
    public async Task ImageToVideo_AcceptsDataUris()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var dataUri = "data:image/png;base64," + Convert.ToBase64String(Fixtures.Bytes("portrait-64x96.png"));

        var (code, _, _, _) = await RunToEndAsync(fal, SeedanceEndpoints.ImageToVideo,
            new { prompt = "zoom", image_url = dataUri, resolution = "480p", duration = "4" });

        Assert.Equal(HttpStatusCode.OK, code);
    }

    [Fact]
    public async Task Cancel_QueuedRequest_RemovesItAndItEndsCancelled()
    {
        await using var fal = await EmulatorClient.StartAsync(o => o.QueueLatency = TimeSpan.FromSeconds(1000));
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, new { prompt = "never runs" });

        var (cancelCode, cancel) = await fal.PutAsync(submitted["cancel_url"]!.GetValue<string>());
        var (statusCode, status) = await fal.GetAsync(submitted["status_url"]!.GetValue<string>());
        using var result = await fal.Http.GetAsync(submitted["response_url"]!.GetValue<string>(), EmulatorClient.Token);

        Assert.Equal(HttpStatusCode.Accepted, cancelCode);
        Assert.Equal("CANCELLATION_REQUESTED", cancel["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, statusCode);
        Assert.Equal("COMPLETED", status["status"]!.GetValue<string>());
        Assert.Equal("client_cancelled", status["error_type"]!.GetValue<string>());
        Assert.Equal(499, (int)result.StatusCode);
        Assert.Equal("client_cancelled", result.Headers.GetValues("X-Fal-Error-Type").Single());
        Assert.Null(fal.Host.Requests.All.Single().StartedAt); // it never ran
    }

    [Fact]
    public async Task Cancel_RunningRequest_StopsTheModelWith499()
    {
        await using var fal = await EmulatorClient.StartAsync(o => o.RunLatency = TimeSpan.FromSeconds(1000));
        var (_, submitted, _) =
            await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, new { prompt = "long", resolution = "480p", duration = "4" });
        var statusUrl = submitted["status_url"]!.GetValue<string>();
        await fal.WaitUntilAsync(async () => (await fal.GetAsync(statusUrl)).Body["status"]!.GetValue<string>() == "IN_PROGRESS");

        var (cancelCode, _) = await fal.PutAsync(submitted["cancel_url"]!.GetValue<string>());
        await fal.WaitForCompletionAsync(statusUrl, TimeSpan.FromSeconds(10));
        using var result = await fal.Http.GetAsync(submitted["response_url"]!.GetValue<string>(), EmulatorClient.Token);

        Assert.Equal(HttpStatusCode.Accepted, cancelCode);
        Assert.Equal(499, (int)result.StatusCode);
        Assert.Equal("client_cancelled", (await EmulatorClient.ReadAsync(result))["error_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cancel_RunningRequestOfAModelThatIgnoresIt_StillSucceeds()
    {
        await using var fal = await EmulatorClient.StartAsync(o => o.RunLatency = TimeSpan.FromSeconds(30));
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo,
            new { prompt = "stubborn", resolution = "480p", duration = "4" }, faults: "cancel=ignore");
        var statusUrl = submitted["status_url"]!.GetValue<string>();
        await fal.WaitUntilAsync(async () => (await fal.GetAsync(statusUrl)).Body["status"]!.GetValue<string>() == "IN_PROGRESS");

        var (cancelCode, _) = await fal.PutAsync(submitted["cancel_url"]!.GetValue<string>());
        await fal.WaitForCompletionAsync(statusUrl);
        var (resultCode, result) = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Accepted, cancelCode);
        Assert.Equal(HttpStatusCode.OK, resultCode);
        Assert.NotNull(result["video"]);
    }

    [Fact]
    public async Task Cancel_CompletedRequest_AnswersAlreadyCompleted()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (_, submitted, _) =
            await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, new { prompt = "done", resolution = "480p", duration = "4" });
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());

        var (code, body) = await fal.PutAsync(submitted["cancel_url"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("ALREADY_COMPLETED", body["status"]!.GetValue<string>());
    }
}
