using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pipeline.Core.Options;
using Pipeline.IntegrationTests.Support;
using Pipeline.LocalHost;
using Pipeline.LocalHost.Events;

namespace Pipeline.IntegrationTests.Hardening;

/// <summary>
/// The local host is private by default: it answers this machine only, it will not answer the network with real fal and
/// no API key, its Event Grid sink takes only this machine's events under a key made per run, and the URLs it gives
/// out come from its own address, never from the caller's <c>Host</c> header.
/// </summary>
public sealed class LocalHostPrivacyTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ByDefault_AnswersOnlyThisMachine_AndItsUrlsIgnoreTheHostHeader()
    {
        await using var host = await LocalHostInProcess.StartAsync();
        var port = host.Http.BaseAddress!.Port;

        Assert.True(await AcceptsAsync(IPAddress.Loopback, port));
        foreach (var address in NetworkAddresses())
        {
            Assert.False(await AcceptsAsync(address, port), $"the local host answered on {address}");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/videos/text-to-video")
        {
            Content = JsonContent.Create(new { prompt = "Whose host?", resolution = "480p", duration = "4" }),
        };
        request.Headers.Host = "attacker.example";
        using var response = await host.Http.SendAsync(request, Token);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var expected = $"http://localhost:{port}/api/videos/{body!["id"]}";
        Assert.Equal(expected, response.Headers.Location?.ToString());
        Assert.Equal(expected, body["status_url"]?.GetValue<string>());
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("*")]
    [InlineData("192.0.2.2")]
    public async Task BeyondThisMachine_WithRealFalAndNoApiKey_RefusesToStart(string listen)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            LocalPipelineHost.BuildAsync(["--LocalHost:Listen", listen, "--LocalHost:UseEmulator", "false", "--FAL_KEY", "a-real-key"]));

        Assert.Contains("LocalHost:ApiKey", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", null)]
    [InlineData("[::1]", null)]
    [InlineData("0.0.0.0", "an-api-key")]
    public async Task OnThisMachine_OrWithAnApiKey_RealFalIsAllowed(string listen, string? apiKey)
    {
        string[] args =
        [
            "--LocalHost:Listen", listen,
            "--LocalHost:UseEmulator", "false",
            "--FAL_KEY", "a-real-key",
            .. apiKey is null ? [] : new[] { "--LocalHost:ApiKey", apiKey },
        ];

        var (app, emulator) = await LocalPipelineHost.BuildAsync(args);
        await app.DisposeAsync();

        Assert.Null(emulator);
    }

    [Fact]
    public async Task EventSink_TakesOnlyThisMachinesEvents_UnderThisRunsKey()
    {
        // Listening everywhere (allowed with the emulator) so that the sink can be called from another address.
        await using var host = await LocalHostInProcess.StartAsync("--LocalHost:Listen", "0.0.0.0");
        var port = host.Http.BaseAddress!.Port;
        var key = host.Services.GetRequiredService<IOptions<EventGridOptions>>().Value.TopicKey;
        Assert.Matches("^[0-9a-f]{32}$", key);

        // The key once written in the source.
        Assert.Equal(HttpStatusCode.Unauthorized, await PostEventAsync(host.Http.BaseAddress, "local-sink-key"));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostEventAsync(host.Http.BaseAddress, null));
        Assert.Equal(HttpStatusCode.OK, await PostEventAsync(host.Http.BaseAddress, key));
        foreach (var address in NetworkAddresses())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await PostEventAsync(new Uri($"http://{address}:{port}"), key));
        }

        Assert.Single(host.Events(), e => e["id"]?.GetValue<string>() == "privacy-probe");
    }

    private static async Task<HttpStatusCode> PostEventAsync(Uri baseAddress, string? key)
    {
        using var http = new HttpClient { BaseAddress = baseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, EventGridSink.Path)
        {
            Content = JsonContent.Create(new[]
            {
                new { id = "privacy-probe", type = "Pipeline.Video.Probe", source = "/test", specversion = "1.0" },
            }),
        };
        if (key is not null)
        {
            request.Headers.Add("aeg-sas-key", key);
        }

        using var response = await http.SendAsync(request, Token);
        return response.StatusCode;
    }

    private static async Task<bool> AcceptsAsync(IPAddress address, int port)
    {
        using var client = new TcpClient(address.AddressFamily);
        try
        {
            await client.ConnectAsync(address, port, Token).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>This machine's addresses other than loopback (IPv4; a machine with none has nothing to prove here).</summary>
    private static List<IPAddress> NetworkAddresses() =>
    [
        .. NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)),
    ];
}
