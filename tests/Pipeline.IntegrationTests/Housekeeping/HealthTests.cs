using System.Net;
using System.Text.Json.Nodes;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Housekeeping;

/// <summary>
/// <c>GET /api/health</c> on the local host (the production durable backend on Azurite): what it reports, that it holds
/// no secret, and 503 when storage is gone.
/// </summary>
public sealed class HealthTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Health_ReportsStorageTaskHubEventsAndFal_WithoutASecret_And503WhenStorageIsGone()
    {
        await using var host = await LocalHostInProcess.StartAsync();

        using var response = await host.Http.GetAsync("/api/health", Token);
        var text = await response.Content.ReadAsStringAsync(Token);
        var report = JsonNode.Parse(text)!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("healthy", report["status"]!.GetValue<string>());
        Assert.Equal("devstoreaccount1", report["storage"]!["account"]!.GetValue<string>());
        Assert.Empty(report["storage"]!["missing_containers"]!.AsArray());
        Assert.Equal(host.TaskHub, report["task_hub"]!["name"]!.GetValue<string>());
        Assert.Equal("healthy", report["task_hub"]!["status"]!.GetValue<string>());
        Assert.Equal("configured", report["events"]!["status"]!.GetValue<string>());
        Assert.Equal("key", report["events"]!["authentication"]!.GetValue<string>());
        Assert.Equal("set", report["fal"]!["key"]!.GetValue<string>());
        Assert.True(report["fal"]!["webhooks"]!.GetValue<bool>());
        foreach (var secret in new[] { host.Fal.ApiKey.Split(':')[1], AzuriteFixture.AccountKey, "sig=", "AccountKey" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        await host.Azurite.DisposeAsync(); // storage (and with it the task hub) goes away
        using var down = await host.Http.GetAsync("/api/health", Token);
        var broken = JsonNode.Parse(await down.Content.ReadAsStringAsync(Token))!;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("unhealthy", broken["status"]!.GetValue<string>());
        Assert.Equal("unhealthy", broken["storage"]!["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(broken["storage"]!["error"]?.GetValue<string>()));
    }
}
