using System.Net;
using System.Net.Http.Headers;
using FalEmulator.Model;
using FalEmulator.Tests.Support;

namespace FalEmulator.Tests.Api;

/// <summary>Deleting a request's payloads (admin key), output retention, and submits whose answer is lost or forged.</summary>
public sealed class PlatformApiTests
{
    private const string AdminKey = "emulator-admin-id:emulator-admin-secret";

    private static CancellationToken Token => EmulatorClient.Token;

    private static async Task<(string RequestId, string VideoUrl)> CompletedAsync(EmulatorClient fal, string? faults = null)
    {
        var (_, queued, _) = await fal.SubmitAsync(
            SeedanceEndpoints.TextToVideo, new { prompt = "p", resolution = "480p", duration = "4" }, faults: faults);
        await fal.WaitForCompletionAsync(queued["status_url"]!.GetValue<string>());
        var (_, result) = await fal.GetAsync(queued["response_url"]!.GetValue<string>());
        return (queued["request_id"]!.GetValue<string>(), result["video"]!["url"]!.GetValue<string>());
    }

    private static async Task<HttpStatusCode> DeleteAsync(EmulatorClient fal, string requestId, string key, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/v1/models/requests/{requestId}/payloads");
        request.Headers.Authorization = new AuthenticationHeaderValue("Key", key);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await fal.Http.SendAsync(request, Token);
        return response.StatusCode;
    }

    [Fact]
    public async Task DeletePayloads_WithAnAdminKey_MakesTheOutputGone()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (requestId, videoUrl) = await CompletedAsync(fal);
        Assert.Equal(HttpStatusCode.OK, (await fal.Http.GetAsync(videoUrl, Token)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, await DeleteAsync(fal, requestId, AdminKey, "k-1"));

        Assert.Equal(HttpStatusCode.NotFound, (await fal.Http.GetAsync(videoUrl, Token)).StatusCode);
        Assert.NotNull(fal.Host.Requests.Find(requestId)!.PayloadsDeletedAt);
        Assert.Equal(HttpStatusCode.OK, await DeleteAsync(fal, requestId, AdminKey, "k-1")); // replayed
    }

    [Fact]
    public async Task DeletePayloads_WithAQueueKeyOrNone_IsRefused()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (requestId, videoUrl) = await CompletedAsync(fal);

        Assert.Equal(HttpStatusCode.Forbidden, await DeleteAsync(fal, requestId, fal.Host.ApiKey));
        using (var anonymous = new HttpClient { BaseAddress = fal.Host.BaseAddress })
        {
            using var response = await anonymous.DeleteAsync($"/v1/models/requests/{requestId}/payloads", Token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, await DeleteAsync(fal, "no-such-request", AdminKey));
        Assert.Equal(HttpStatusCode.OK, (await fal.Http.GetAsync(videoUrl, Token)).StatusCode);
    }

    [Fact]
    public async Task Submit_WithALifecyclePreference_ExpiresTheOutputAfterIt()
    {
        await using var fal = await EmulatorClient.StartAsync(o => o.TimeScale = 0.001);
        using var message = new HttpRequestMessage(HttpMethod.Post, "/" + SeedanceEndpoints.TextToVideo)
        {
            Content = EmulatorClient.Json("""{ "prompt": "p", "resolution": "480p", "duration": "4" }"""),
        };
        message.Headers.Add("X-Fal-Object-Lifecycle-Preference", """{"expiration_duration_seconds": 60}""");
        using var submitted = await fal.Http.SendAsync(message, Token);
        var queued = await EmulatorClient.ReadAsync(submitted);
        await fal.WaitForCompletionAsync(queued["status_url"]!.GetValue<string>());
        var request = fal.Host.Requests.Find(queued["request_id"]!.GetValue<string>())!;
        var url = $"/files/{request.RequestId}/output.mp4";

        Assert.Equal(TimeSpan.FromSeconds(60), request.OutputLifetime);
        await Task.Delay(TimeSpan.FromMilliseconds(150), Token); // 60 emulated seconds at this time scale
        Assert.Equal(HttpStatusCode.NotFound, (await fal.Http.GetAsync(url, Token)).StatusCode);
    }

    [Fact]
    public async Task Submit_AnswerLost_IsQueuedButTheCallerGetsNoAnswer()
    {
        await using var fal = await EmulatorClient.StartAsync();

        await Assert.ThrowsAnyAsync<HttpRequestException>(() =>
            fal.SubmitAsync(
                SeedanceEndpoints.TextToVideo, new { prompt = "lost", resolution = "480p", duration = "4" }, faults: "submit_lost=1"));

        Assert.Single(fal.Host.Requests.All, r => r.Input?.Prompt == "lost");
    }

    [Fact]
    public async Task Submit_AnswerHost_NamesThatHostInTheAnswersUrls()
    {
        await using var fal = await EmulatorClient.StartAsync();

        var (_, queued, _) = await fal.SubmitAsync(
            SeedanceEndpoints.TextToVideo,
            new { prompt = "p", resolution = "480p", duration = "4" },
            faults: "answer_host=evil.example:8080");

        Assert.StartsWith("http://evil.example:8080/", queued["status_url"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("http://evil.example:8080/", queued["cancel_url"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
