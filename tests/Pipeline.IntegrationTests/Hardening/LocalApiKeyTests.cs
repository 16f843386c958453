using System.Net;
using System.Net.Http.Json;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Hardening;

/// <summary>The local host's API key: like a function key in Azure, required on the videos API once configured.</summary>
public sealed class LocalApiKeyTests
{
    [Fact]
    public async Task VideosApi_WithAnApiKeyConfigured_RefusesCallsWithoutIt()
    {
        await using var host = await LocalHostInProcess.StartAsync("--LocalHost:ApiKey", "local-secret");
        var token = TestContext.Current.CancellationToken;
        var body = new { prompt = "Keyed", resolution = "480p", duration = "4" };

        using var anonymous = await host.Http.PostAsJsonAsync("/api/videos/text-to-video", body, token);
        using var wrong = await host.Http.SendAsync(Keyed("wrong"), token);
        using var keyed = await host.Http.SendAsync(Keyed("local-secret"), token);
        using var byQuery = await host.Http.GetAsync("/api/videos/api-00000000000000000000000000000000?code=local-secret", token);
        using var webhook = await host.Http.PostAsync("/api/fal/webhook?job=x", new StringContent("{}"), token);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, keyed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byQuery.StatusCode); // let through: no such job
        Assert.Equal(HttpStatusCode.Unauthorized, webhook.StatusCode); // refused by the signature check, not the key

        // Every route that takes a function key in Azure takes the key here; what is anonymous there is here too.
        foreach (var path in new[] { "/api/videos", "/api/usage", "/api/health", "/api/batches/batch-00000000000000000000000000000000" })
        {
            using var refused = await host.Http.GetAsync(path, token);
            Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, path);
        }

        foreach (var path in new[] { "/api/openapi.json", "/api/app/", "/" })
        {
            using var open = await host.Http.GetAsync(path, token);
            Assert.True(open.StatusCode == HttpStatusCode.OK, path);
        }

        HttpRequestMessage Keyed(string key)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/videos/text-to-video") { Content = JsonContent.Create(body) };
            request.Headers.Add("x-functions-key", key);
            return request;
        }
    }
}
