using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace FalEmulator.Tests.Support;

/// <summary>A plain HTTP client of the emulator for tests: the calls a fal client makes, answers as JSON.</summary>
public sealed class EmulatorClient : IAsyncDisposable
{
    private EmulatorClient(FalEmulatorHost host)
    {
        Host = host;
        Http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Key", host.ApiKey);
    }

    public FalEmulatorHost Host { get; }

    public HttpClient Http { get; }

    public static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>A fast emulator: fal's seconds become hundredths.</summary>
    public static async Task<EmulatorClient> StartAsync(Action<Options.FalEmulatorOptions>? configure = null)
    {
        var host = await FalEmulatorHost.StartAsync(o =>
        {
            o.TimeScale = 0.01;
            configure?.Invoke(o);
        }, cancellationToken: Token);
        return new EmulatorClient(host);
    }

    public async Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> SubmitAsync(
        string endpointId, object body, string? webhookUrl = null, string? faults = null)
    {
        var url = "/" + endpointId + (webhookUrl is null ? "" : "?fal_webhook=" + Uri.EscapeDataString(webhookUrl));
        using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        if (faults is not null)
        {
            message.Headers.Add("X-Fal-Emulator-Faults", faults);
        }

        var response = await Http.SendAsync(message, Token);
        return (response.StatusCode, await ReadAsync(response), response);
    }

    public async Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(string url)
    {
        using var response = await Http.GetAsync(url, Token);
        return (response.StatusCode, await ReadAsync(response));
    }

    public async Task<(HttpStatusCode Status, JsonObject Body)> PutAsync(string url)
    {
        using var response = await Http.PutAsync(url, null, Token);
        return (response.StatusCode, await ReadAsync(response));
    }

    /// <summary>Polls the status URL until COMPLETED; returns every distinct status seen, in order.</summary>
    public async Task<List<string>> WaitForCompletionAsync(string statusUrl, TimeSpan? timeout = null)
    {
        var seen = new List<string>();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            using var response = await Http.GetAsync(statusUrl, cts.Token);
            var status = (await ReadAsync(response))["status"]!.GetValue<string>();
            if (seen.Count == 0 || seen[^1] != status)
            {
                seen.Add(status);
            }

            if (status == "COMPLETED")
            {
                return seen;
            }

            await Task.Delay(10, cts.Token);
        }
    }

    /// <summary>Checks <paramref name="condition"/> every 10 ms until it holds (30 s at most).</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(10, cts.Token);
        }
    }

    public static async Task<JsonObject> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Token);
        return text.Length == 0 ? [] : JsonNode.Parse(text) as JsonObject ?? new JsonObject { ["_raw"] = text };
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }
}
