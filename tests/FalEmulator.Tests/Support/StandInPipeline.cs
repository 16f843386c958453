using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FalEmulator.Tests.Support;

/// <summary>One webhook POST as it arrived: raw bytes and the fal headers.</summary>
public sealed record ReceivedWebhook(DateTimeOffset At, byte[] Body, IReadOnlyDictionary<string, string> Headers)
{
    public string Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : "";
}

/// <summary>
/// A loopback HTTP server standing in for the pipeline: it receives fal's webhooks (answering with statuses a test
/// chooses) and serves input files the way blob storage serves SAS URLs.
/// </summary>
public sealed class StandInPipeline : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly ConcurrentQueue<int> _answers = new();
    private readonly SemaphoreSlim _arrivals = new(0);
    private readonly ConcurrentDictionary<string, (byte[] Bytes, string ContentType)> _files = new();

    private StandInPipeline(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    /// <summary>Answers the next deliveries with these statuses (then 200).</summary>
    public void AnswerNext(params int[] statuses)
    {
        foreach (var s in statuses)
        {
            _answers.Enqueue(s);
        }
    }

    /// <summary>Serves <paramref name="bytes"/> at the returned URL.</summary>
    public string Serve(string name, byte[] bytes, string contentType = "application/octet-stream")
    {
        _files[name] = (bytes, contentType);
        return BaseUrl + "/inputs/" + name;
    }

    public string BaseUrl { get; private set; } = "";

    public static async Task<StandInPipeline> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new StandInPipeline(app);
        app.MapPost("/fal/webhook", async (HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            receiver._received.Enqueue(new ReceivedWebhook(DateTimeOffset.UtcNow, buffer.ToArray(), headers));
            receiver._arrivals.Release();
            return Results.StatusCode(receiver._answers.TryDequeue(out var status) ? status : 200);
        });
        app.MapGet("/inputs/{name}", (string name) =>
            receiver._files.TryGetValue(name, out var file) ? Results.Bytes(file.Bytes, file.ContentType) : Results.NotFound());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.BaseUrl = address.TrimEnd('/');
        receiver.Url = receiver.BaseUrl + "/fal/webhook";
        return receiver;
    }

    /// <summary>Waits until at least <paramref name="count"/> deliveries arrived.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(30));
        while (_received.Count < count)
        {
            await _arrivals.WaitAsync(cts.Token);
        }

        return Received;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
