using System.Net;
using System.Text.Json.Nodes;
using FalEmulator.Model;
using FalEmulator.Recording;
using FalEmulator.Tests.Support;

namespace FalEmulator.Tests.Faults;

public sealed class FaultKnobTests
{
    private static readonly object Input = new { prompt = "Waves", resolution = "480p", duration = "4" };

    [Theory]
    [InlineData("submit_429=2", 429)]
    [InlineData("submit_500=2", 500)]
    public async Task SubmitFault_RefusesTheFirstAttemptsOfTheSameBodyThenAccepts(string faults, int refusal)
    {
        await using var fal = await EmulatorClient.StartAsync();

        var first = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, faults: faults);
        var other = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, new { prompt = "Another job" }, faults: faults);
        var second = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, faults: faults);
        var third = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, faults: faults);

        Assert.Equal(refusal, (int)first.Status);
        Assert.Equal(refusal, (int)other.Status); // its own first attempt
        Assert.Equal(refusal, (int)second.Status);
        Assert.Equal(HttpStatusCode.OK, third.Status);
        Assert.NotNull(first.Body["detail"]);
        Assert.Single(fal.Host.Requests.All); // refused submits create nothing
    }

    [Theory]
    [InlineData("result=error", 500, "internal_server_error")]
    [InlineData("result=error:422", 422, "content_policy_violation")]
    [InlineData("result=error:504", 504, "generation_timeout")]
    public async Task ResultFault_CompletesWithAnErrorAndAnErrorWebhook(string faults, int status, string type)
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();

        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, pipeline.Url, faults);
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());
        var (code, result) = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());
        var webhook = JsonNode.Parse((await pipeline.WaitForAsync(1)).Single().Body)!;

        Assert.Equal(status, (int)code);
        Assert.Equal(type, result["detail"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("ERROR", webhook["status"]!.GetValue<string>());
        Assert.Equal($"Invalid status code: {status}", webhook["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task SubmitNoId_QueuesTheRequestButAnswersWithoutItsId()
    {
        await using var fal = await EmulatorClient.StartAsync();

        var (status, body, response) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, faults: "submit_no_id=1");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(body["request_id"]);
        Assert.False(response.Headers.Contains("x-fal-request-id"));
        Assert.Single(fal.Host.Requests.All); // queued, and billed, all the same
    }

    [Fact]
    public async Task SubmitDelay_QueuesAtOnceAndAnswersLate()
    {
        await using var fal = await EmulatorClient.StartAsync(o => o.TimeScale = 0.1);

        var started = DateTimeOffset.UtcNow;
        var (status, _, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, faults: "submit_delay=5s");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromMilliseconds(450));
        Assert.True(fal.Host.Requests.All.Single().SubmittedAt - started < TimeSpan.FromMilliseconds(450));
    }

    [Fact]
    public async Task Result503_TheFirstResultCallsFailAsAGatewayThenTheResultComes()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, faults: "result_503=2");
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());

        var first = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());
        var second = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());
        var third = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());

        Assert.Equal(
            [HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK],
            [first.Status, second.Status, third.Status]);
        Assert.Null(first.Body["error_type"]);
        Assert.NotNull(third.Body["video"]);
    }

    [Fact]
    public async Task WebhookNoPayload_SaysOkWithoutTheVideoWhichTheResultCallHas()
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();

        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, pipeline.Url, "webhook=no-payload");
        var webhook = JsonNode.Parse((await pipeline.WaitForAsync(1)).Single().Body)!;
        var (_, result) = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());

        Assert.Equal("OK", webhook["status"]!.GetValue<string>());
        Assert.Null(webhook["payload"]);
        Assert.NotNull(webhook["payload_error"]);
        Assert.NotNull(result["video"]);
    }

    [Fact]
    public async Task RequestForgotten_StatusResultAndCancelAnswer404AndNoWebhookComes()
    {
        await using var fal = await EmulatorClient.StartAsync();
        await using var pipeline = await StandInPipeline.StartAsync();

        var (_, submitted, _) =
            await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, pipeline.Url, "request=forgotten, queue=0s, run=0s");
        await fal.WaitUntilAsync(() => Task.FromResult(fal.Host.Requests.All.Single().CompletedAt is not null));

        Assert.Equal(HttpStatusCode.NotFound, (await fal.GetAsync(submitted["status_url"]!.GetValue<string>())).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await fal.GetAsync(submitted["response_url"]!.GetValue<string>())).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await fal.PutAsync(submitted["cancel_url"]!.GetValue<string>())).Status);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Empty(pipeline.Received);
    }

    [Fact]
    public async Task FileFault_Gone_MakesTheVideoUrlAnswer404()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, faults: "file=gone");
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());
        var (_, result) = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());

        using var anonymous = new HttpClient();
        using var file = await anonymous.GetAsync(result["video"]!["url"]!.GetValue<string>(), EmulatorClient.Token);

        Assert.Equal(HttpStatusCode.NotFound, file.StatusCode);
    }

    [Fact]
    public async Task FileFault_Truncated_CutsTheDownloadShortOfItsContentLength()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, faults: "file=truncated");
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());
        var (_, result) = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());

        using var anonymous = new HttpClient();
        using var response = await anonymous.GetAsync(
            result["video"]!["url"]!.GetValue<string>(), HttpCompletionOption.ResponseHeadersRead, EmulatorClient.Token);
        Assert.Equal(result["video"]!["file_size"]!.GetValue<long>(), response.Content.Headers.ContentLength);
        await using var stream = await response.Content.ReadAsStreamAsync(EmulatorClient.Token);

        await Assert.ThrowsAnyAsync<Exception>(() => stream.CopyToAsync(Stream.Null, EmulatorClient.Token));
    }

    [Fact]
    public async Task FileFault_Slow_DeliversTheWholeFileOverTheGivenTime()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, faults: "file=slow:100s");
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());
        var (_, result) = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());

        using var anonymous = new HttpClient();
        var started = DateTimeOffset.UtcNow;
        var bytes = await anonymous.GetByteArrayAsync(result["video"]!["url"]!.GetValue<string>(), EmulatorClient.Token);

        Assert.Equal(result["video"]!["file_size"]!.GetValue<long>(), bytes.LongLength);
        Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromMilliseconds(900)); // 100 s at a time factor of 0.01
    }

    [Fact]
    public async Task FileBytes_PadsTheVideoToThatSizeAndItStaysAnMp4()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, faults: "file_bytes=3MB");
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());
        var (_, result) = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());

        using var anonymous = new HttpClient();
        var bytes = await anonymous.GetByteArrayAsync(result["video"]!["url"]!.GetValue<string>(), EmulatorClient.Token);

        Assert.Equal(3L << 20, result["video"]!["file_size"]!.GetValue<long>());
        Assert.Equal(3L << 20, bytes.LongLength);
        var mp4 = Media.Mp4Inspector.Parse(bytes);
        Assert.Equal("free", mp4.TopLevelTypes[^1]);
        Assert.Single(mp4.VideoTracks);
    }

    [Fact]
    public async Task Latencies_FromThePromptMarker_OverrideTheInstance()
    {
        await using var fal = await EmulatorClient.StartAsync(o =>
        {
            o.QueueLatency = TimeSpan.Zero;
            o.RunLatency = TimeSpan.Zero;
        });

        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo,
            new { prompt = "Slow one [emulator: queue=30s; run=30s]", resolution = "480p", duration = "4" });
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());

        var request = fal.Host.Requests.All.Single();
        Assert.True(request.StartedAt - request.SubmittedAt >= TimeSpan.FromMilliseconds(290));
        Assert.True(request.CompletedAt - request.StartedAt >= TimeSpan.FromMilliseconds(290));
    }

    [Fact]
    public async Task InstanceFaults_SetWhileRunning_ApplyToLaterRequests()
    {
        await using var fal = await EmulatorClient.StartAsync();

        using var set = await fal.Http.PutAsync("/_emulator/faults", new StringContent("submit_429=1"), EmulatorClient.Token);
        var refused = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input);
        fal.Host.SetFaults("");
        var accepted = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, new { prompt = "fresh body" });

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Equal(HttpStatusCode.OK, accepted.Status);
    }

    [Fact]
    public async Task FaultSpec_ThatDoesNotParse_IsRefusedWith400()
    {
        await using var fal = await EmulatorClient.StartAsync();

        var header = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input, faults: "webhook=sometimes");
        using var control = await fal.Http.PutAsync("/_emulator/faults", new StringContent("nonsense=1"), EmulatorClient.Token);

        Assert.Equal(HttpStatusCode.BadRequest, header.Status);
        Assert.Contains("webhook", header.Body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, control.StatusCode);
    }

    [Fact]
    public async Task Recorder_CountsEveryCallOfAJobByKind()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (_, submitted, _) = await fal.SubmitAsync(SeedanceEndpoints.TextToVideo, Input);
        var id = submitted["request_id"]!.GetValue<string>();
        await fal.WaitForCompletionAsync(submitted["status_url"]!.GetValue<string>());
        var (_, result) = await fal.GetAsync(submitted["response_url"]!.GetValue<string>());
        using var anonymous = new HttpClient();
        await anonymous.GetByteArrayAsync(result["video"]!["url"]!.GetValue<string>(), EmulatorClient.Token);

        var calls = fal.Host.Recorder.CallsFor(id);

        Assert.Single(calls, c => c.Kind == CallKind.Submit);
        Assert.Contains(calls, c => c.Kind == CallKind.Status);
        Assert.Single(calls, c => c.Kind == CallKind.Result);
        Assert.Single(calls, c => c.Kind == CallKind.File);
        Assert.All(calls, c => Assert.Equal(id, c.RequestId));
        using var listed = await fal.Http.GetAsync("/_emulator/calls", EmulatorClient.Token);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
    }
}
