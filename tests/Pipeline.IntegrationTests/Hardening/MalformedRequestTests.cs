using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FalEmulator.Recording;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Hardening;

/// <summary>
/// Bodies a stranger can send: each answers a 4xx that names the field and the rule, never a 500, and leaves nothing
/// behind — nothing submitted, no job, no index entry, no upload.
/// </summary>
public sealed class MalformedRequestTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    public static TheoryData<string, byte[], HttpStatusCode, string> Bodies() => new()
    {
        { "invalid UTF-8", [.. "{\"prompt\":\""u8, 0xFF, 0xFE, .. "\"}"u8], HttpStatusCode.BadRequest, "body" },
        { "a key given twice", Encoding.UTF8.GetBytes("""{"prompt":"a","prompt":"b"}"""), HttpStatusCode.BadRequest, "body" },
        {
            "nested past any request",
            Encoding.UTF8.GetBytes(new string('[', 100) + new string(']', 100)),
            HttpStatusCode.BadRequest,
            "body"
        },
        {
            "@Image past int",
            Encoding.UTF8.GetBytes("""{"prompt":"@Image99999999999 waves","image_urls":["https://example.com/a.png"]}"""),
            HttpStatusCode.BadRequest,
            "prompt"
        },
        {
            "an end user id of 60,000 characters",
            Encoding.UTF8.GetBytes($$"""{"prompt":"p","end_user_id":"{{new string('u', 60_000)}}"}"""),
            HttpStatusCode.BadRequest,
            "end_user_id"
        },
        {
            "a correlation map past 2,048 characters",
            Encoding.UTF8.GetBytes("{\"prompt\":\"p\",\"correlation\":{"
                + string.Join(",", Enumerable.Range(0, 10).Select(i => $"\"k{i}\":\"{new string('v', 250)}\""))
                + "}}"),
            HttpStatusCode.BadRequest,
            "correlation"
        },
        { "a number for the prompt", Encoding.UTF8.GetBytes("""{"prompt":12}"""), HttpStatusCode.BadRequest, "prompt" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task MalformedJson_Answers4xxNamingTheFieldAndLeavesNothing(
        string what, byte[] body, HttpStatusCode expected, string field)
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var mode = what.Contains("@Image", StringComparison.Ordinal) ? "reference-to-video" : "text-to-video";
        var key = "malformed-" + Guid.NewGuid().ToString("N");

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/videos/{mode}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("Idempotency-Key", key);
        using var response = await host.Http.SendAsync(request, Token);

        Assert.Equal(expected, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!;
        Assert.NotNull(problem["errors"]?[field]);
        await AssertNothingLeftAsync(host, key, mode);
    }

    [Fact]
    public async Task ChunkedJsonPastTheLimit_Answers413AndLeavesNothing()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var key = "chunked-" + Guid.NewGuid().ToString("N");
        var body = Encoding.UTF8.GetBytes($$"""{"prompt":"{{new string('x', 400_000)}}"}""");

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/videos/text-to-video")
        {
            Content = new StreamContent(new MemoryStream(body)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Add("Idempotency-Key", key);
        using var response = await host.Http.SendAsync(request, Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertNothingLeftAsync(host, key, "text-to-video");
    }

    [Fact]
    public async Task SameKeyForADifferentRequest_Answers409AndTheSameRequestStillFindsItsJob()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var key = "reused-" + Guid.NewGuid().ToString("N");

        var (first, accepted, _) = await host.SubmitAsync(
            "text-to-video", new { prompt = "A red kite", resolution = "480p", duration = "4" }, key);
        var (other, problem, _) = await host.SubmitAsync(
            "text-to-video", new { prompt = "A blue kite", resolution = "480p", duration = "4" }, key);
        var (same, again, _) = await host.SubmitAsync(
            "text-to-video", new { duration = "4", resolution = "480p", prompt = "A red kite" }, key); // keys in another order

        Assert.Equal(HttpStatusCode.Accepted, first);
        Assert.Equal(HttpStatusCode.Conflict, other);
        Assert.Equal("idempotency_key_reused", problem["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Accepted, same);
        Assert.Equal(accepted["id"]!.GetValue<string>(), again["id"]!.GetValue<string>());
        Assert.False(again["created"]!.GetValue<bool>());
        await host.WaitForJobAsync(accepted["id"]!.GetValue<string>());
        Assert.Single(
            host.Fal.Requests.All,
            r => r.Input?.Prompt.Contains("kite", StringComparison.Ordinal) == true
                && r.Input.Prompt.Contains("red", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Fal.Requests.All, r => r.Input?.Prompt == "A blue kite");
    }

    [Fact]
    public async Task SameKeyForAFormWithAnotherFile_Answers409()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var key = "form-" + Guid.NewGuid().ToString("N");
        var fields = new Dictionary<string, string> { ["prompt"] = "Boats", ["resolution"] = "480p", ["duration"] = "4" };

        var (first, accepted) = await host.SubmitFormAsync("image-to-video", key, fields, ("image", "a.jpg", TestFiles.Jpeg));
        var (same, again) = await host.SubmitFormAsync("image-to-video", key, fields, ("image", "a.jpg", TestFiles.Jpeg));
        var (other, _) = await host.SubmitFormAsync("image-to-video", key, fields, ("image", "a.png", TestFiles.Png));

        Assert.Equal(HttpStatusCode.Accepted, first);
        Assert.Equal((HttpStatusCode.Accepted, accepted["id"]!.GetValue<string>()), (same, again["id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Conflict, other);
    }

    [Fact]
    public async Task FiftyConcurrentRequestsWithOneKey_StartOneJobWithOneIndexEntryAndOneCreated()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var key = "concurrent-" + Guid.NewGuid().ToString("N");
        var body = new { prompt = $"One job {key}", resolution = "480p", duration = "4" };

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => host.SubmitAsync("text-to-video", body, key)));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a.Status));
        var id = Assert.Single(answers.Select(a => a.Body["id"]!.GetValue<string>()).Distinct());
        Assert.Single(answers, a => a.Body["created"]!.GetValue<bool>());
        await host.WaitForJobAsync(id);
        var entries = host.Storage.Jobs
            .GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "index/", Token)
            .Count(b => b.Name.EndsWith(id, StringComparison.Ordinal));
        Assert.Equal(1, entries);
        Assert.Single(host.Fal.Recorder.Calls, c => c.Kind == CallKind.Submit);
    }

    /// <summary>No job under the key's id, no index entry, no upload, nothing at fal.</summary>
    private static async Task AssertNothingLeftAsync(PipelineTestHost host, string key, string mode)
    {
        var id = global::Pipeline.Core.Api.VideoJobService.JobIdFor(
            Enum.Parse<global::Pipeline.Core.Requests.VideoMode>(mode.Replace("-", "", StringComparison.Ordinal), ignoreCase: true),
            key);
        Assert.Null(await host.Client.GetInstanceAsync(id, Token));
        Assert.DoesNotContain(
            host.Storage.Jobs
                .GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "index/", Token),
            b => b.Name.EndsWith(id, StringComparison.Ordinal));
        Assert.False(await host.Storage.Jobs.GetBlobClient($"open/{id}").ExistsAsync(Token));
        Assert.DoesNotContain(host.Fal.Recorder.Calls, c => c.Kind == CallKind.Submit);
    }
}
