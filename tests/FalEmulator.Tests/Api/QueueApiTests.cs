using System.Net;
using System.Text.Json.Nodes;
using FalEmulator.Model;
using FalEmulator.Tests.Support;

namespace FalEmulator.Tests.Api;

public sealed class QueueApiTests
{
    private static readonly object TextInput = new { prompt = "A lighthouse at dusk", resolution = "480p", duration = "4" };

    [Fact]
    public async Task Submit_ValidInput_AnswersQueueResponseWithOwnerAliasUrls()
    {
        await using var fal = await EmulatorClient.StartAsync();

        var (status, body, response) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, TextInput);

        Assert.Equal(HttpStatusCode.OK, status);
        var id = body["request_id"]!.GetValue<string>();
        Assert.True(Guid.TryParse(id, out _));
        Assert.Equal("IN_QUEUE", body["status"]!.GetValue<string>());
        Assert.Equal(id, body["gateway_request_id"]!.GetValue<string>());
        Assert.Equal(0, body["queue_position"]!.GetValue<int>());
        var prefix = $"{fal.Host.BaseAddress.ToString().TrimEnd('/')}/bytedance/seedance-2.0/requests/{id}";
        Assert.Equal(prefix, body["response_url"]!.GetValue<string>());
        Assert.Equal(prefix + "/status", body["status_url"]!.GetValue<string>());
        Assert.Equal(prefix + "/cancel", body["cancel_url"]!.GetValue<string>());
        Assert.Equal(id, response.Headers.GetValues("x-fal-request-id").Single());
    }

    [Fact]
    public async Task Status_OfAJob_GoesInQueueThenInProgressThenCompleted()
    {
        await using var fal = await EmulatorClient.StartAsync(o =>
        {
            o.QueueLatency = TimeSpan.FromSeconds(20); // 200 ms real
            o.RunLatency = TimeSpan.FromSeconds(40);
        });
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, TextInput);
        var statusUrl = submitted["status_url"]!.GetValue<string>();

        var (queuedCode, queued) = await fal.GetAsync(statusUrl);
        Assert.Equal(HttpStatusCode.Accepted, queuedCode);
        Assert.Equal("IN_QUEUE", queued["status"]!.GetValue<string>());
        Assert.Equal(0, queued["queue_position"]!.GetValue<int>());
        Assert.True(queued.ContainsKey("logs"));
        Assert.Null(queued["logs"]);

        var seen = await fal.WaitForCompletionAsync(statusUrl + "?logs=1");
        Assert.Equal(["IN_QUEUE", "IN_PROGRESS", "COMPLETED"], seen);

        var (doneCode, done) = await fal.GetAsync(statusUrl + "?logs=1");
        Assert.Equal(HttpStatusCode.OK, doneCode);
        Assert.False(done.ContainsKey("queue_position"));
        Assert.False(done.ContainsKey("error"));
        var logs = done["logs"]!.AsArray();
        Assert.NotEmpty(logs);
        Assert.All(logs, l => Assert.NotNull(l!["message"]));
        Assert.All(logs, l => Assert.NotNull(l!["timestamp"]));
        Assert.True(done["metrics"]!["inference_time"]!.GetValue<double>() >= 0.4);
    }

    [Fact]
    public async Task Status_InProgress_ListsLogsWhenAsked()
    {
        await using var fal = await EmulatorClient.StartAsync(o => o.RunLatency = TimeSpan.FromSeconds(100));
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, TextInput);
        var statusUrl = submitted["status_url"]!.GetValue<string>();

        JsonObject status;
        do
        {
            (_, status) = await fal.GetAsync(statusUrl + "?logs=true");
        }
        while (status["status"]!.GetValue<string>() == "IN_QUEUE");

        Assert.Equal("IN_PROGRESS", status["status"]!.GetValue<string>());
        Assert.Contains(status["logs"]!.AsArray(), l => l!["message"]!.GetValue<string>().Contains("runner", StringComparison.Ordinal));
    }

    [Fact]
    public async Task QueuePosition_WithOneRunner_CountsRequestsAhead()
    {
        await using var fal = await EmulatorClient.StartAsync(o =>
        {
            o.Runners = 1;
            o.RunLatency = TimeSpan.FromSeconds(300);
        });

        var ids = new List<JsonObject>();
        for (var i = 0; i < 3; i++)
        {
            var input = new { prompt = $"job {i}", resolution = "480p", duration = "4" };
            ids.Add((await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, input)).Body);
        }

        await fal.WaitUntilAsync(async () =>
            (await fal.GetAsync(ids[0]["status_url"]!.GetValue<string>())).Body["status"]!.GetValue<string>() == "IN_PROGRESS");
        Assert.Equal(0, (await fal.GetAsync(ids[1]["status_url"]!.GetValue<string>())).Body["queue_position"]!.GetValue<int>());
        Assert.Equal(1, (await fal.GetAsync(ids[2]["status_url"]!.GetValue<string>())).Body["queue_position"]!.GetValue<int>());
    }

    [Fact]
    public async Task Result_WhenCompleted_IsAVideoFileAndSeedWhoseUrlServesTheMp4()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo,
            new { prompt = "A red kite", resolution = "480p", duration = "4", seed = 1234 });
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());

        var (code, result) = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(1234, result["seed"]!.GetValue<long>());
        var video = result["video"]!;
        Assert.Equal("video/mp4", video["content_type"]!.GetValue<string>());
        Assert.Equal("output.mp4", video["file_name"]!.GetValue<string>());
        using var anonymous = new HttpClient(); // fal's media URLs need no key
        using var file = await anonymous.GetAsync(video["url"]!.GetValue<string>(), EmulatorClient.Token);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("video/mp4", file.Content.Headers.ContentType!.MediaType);
        var bytes = await file.Content.ReadAsByteArrayAsync(EmulatorClient.Token);
        Assert.Equal(video["file_size"]!.GetValue<long>(), bytes.LongLength);
        Assert.Equal("ftyp"u8.ToArray(), bytes[4..8]);
    }

    [Fact]
    public async Task Result_WithAFilesBaseUrl_NamesItsFileOnThatHostAndTheQueueUrlsOnTheEmulator()
    {
        await using var fal = await EmulatorClient.StartAsync(o => o.FilesBaseUrl = "http://127.0.0.1:9/cdn/");
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, TextInput);
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());

        var (_, result) = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());

        var id = submitted["request_id"]!.GetValue<string>();
        Assert.Equal($"http://127.0.0.1:9/cdn/files/{id}/output.mp4", result["video"]!["url"]!.GetValue<string>());
        Assert.StartsWith(
            fal.Host.BaseAddress.ToString().TrimEnd('/'), submitted["status_url"]!.GetValue<string>(), StringComparison.Ordinal);
        // The emulator still serves the file itself: whatever stands at that base forwards to it.
        using var anonymous = new HttpClient();
        using var file = await anonymous.GetAsync(new Uri(fal.Host.BaseAddress, $"files/{id}/output.mp4"), EmulatorClient.Token);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
    }

    [Fact]
    public async Task Result_WithoutSeed_ReportsTheSeedItUsed()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, TextInput);
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());

        var (_, result) = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());

        Assert.True(result["seed"]!.GetValue<long>() >= 0);
    }

    [Fact]
    public async Task Result_BeforeCompletion_Answers400()
    {
        await using var fal = await EmulatorClient.StartAsync(o => o.QueueLatency = TimeSpan.FromSeconds(500));
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, TextInput);

        var (code, body) = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.NotNull(body["detail"]);
    }

    [Fact]
    public async Task StatusAndResult_UnderTheFullEndpointId_AgreeWithOwnerAliasUrls()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, TextInput);
        var id = submitted["request_id"]!.GetValue<string>();
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());

        var (fullCode, full) = await fal.GetAsync($"/{SeedanceEndpoints.TextToVideo}/requests/{id}/status/");
        var (shortCode, brief) = await fal.GetAsync($"/bytedance/seedance-2.0/requests/{id}/status");
        var (resultCode, result) = await fal.GetAsync($"/{SeedanceEndpoints.TextToVideo}/requests/{id}/");

        Assert.Equal(HttpStatusCode.OK, fullCode);
        Assert.Equal(HttpStatusCode.OK, shortCode);
        Assert.Equal(brief["status"]!.ToJsonString(), full["status"]!.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, resultCode);
        Assert.NotNull(result["video"]);
    }

    [Fact]
    public async Task UnknownRequest_Answers404OnStatusResultAndCancel()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var id = Guid.NewGuid();

        var (statusCode, _) = await fal.GetAsync($"/bytedance/seedance-2.0/requests/{id}/status");
        var (resultCode, _) = await fal.GetAsync($"/bytedance/seedance-2.0/requests/{id}");
        var (cancelCode, cancel) = await fal.PutAsync($"/bytedance/seedance-2.0/requests/{id}/cancel");

        Assert.Equal(HttpStatusCode.NotFound, statusCode);
        Assert.Equal(HttpStatusCode.NotFound, resultCode);
        Assert.Equal(HttpStatusCode.NotFound, cancelCode);
        Assert.Equal("NOT_FOUND", cancel["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task RequestId_UnderAnotherApp_IsNotFound()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, TextInput);
        var id = submitted["request_id"]!.GetValue<string>();

        var (code, _) = await fal.GetAsync($"/fal-ai/flux/requests/{id}/status");

        Assert.Equal(HttpStatusCode.NotFound, code);
    }

    [Fact]
    public async Task Submit_ToAnEndpointTheEmulatorDoesNotServe_Answers404()
    {
        await using var fal = await EmulatorClient.StartAsync();

        var (code, body, _) = await fal.SubmitAsync("bytedance/seedance-2.0/fast/sound-to-video", TextInput);

        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.NotNull(body["detail"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Key wrong:key")]
    [InlineData("Bearer emulator-key-id:emulator-key-secret")]
    public async Task EveryQueueCall_WithoutTheRightKey_Answers401(string? authorization)
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, TextInput);
        using var stranger = new HttpClient { BaseAddress = fal.Host.BaseAddress };
        if (authorization is not null)
        {
            stranger.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        using var submit = await stranger.PostAsync(
            "/" + SeedanceEndpoints.TextToVideo, EmulatorClient.Json("{\"prompt\":\"x\"}"), EmulatorClient.Token);
        using var status = await stranger.GetAsync(submitted["status_url"]!.GetValue<string>(), EmulatorClient.Token);
        using var result = await stranger.GetAsync(submitted["response_url"]!.GetValue<string>(), EmulatorClient.Token);
        using var cancel = await stranger.PutAsync(submitted["cancel_url"]!.GetValue<string>(), null, EmulatorClient.Token);

        Assert.All([submit, status, result, cancel], r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.NotNull((await EmulatorClient.ReadAsync(submit))["detail"]);
    }

    [Fact]
    public async Task Submit_BodyThatIsNotJson_Answers400BadRequest()
    {
        await using var fal = await EmulatorClient.StartAsync();

        using var response = await fal.Http.PostAsync(
            "/" + SeedanceEndpoints.TextToVideo, EmulatorClient.Json("{not json"), EmulatorClient.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_request", (await EmulatorClient.ReadAsync(response))["error_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Submit_WithAWebhookThatIsNotAnAbsoluteUrl_Answers400()
    {
        await using var fal = await EmulatorClient.StartAsync();

        var (code, _, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, TextInput, webhookUrl: "/relative/hook");

        Assert.Equal(HttpStatusCode.BadRequest, code);
    }
}
