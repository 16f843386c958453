using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Pipeline.Bench;

/// <summary>A loopback Event Grid topic that notes when each CloudEvent arrived.</summary>
public sealed class EventSink : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EventSink(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    /// <summary>By (job, type): when the event arrived, and the job's <c>finished_at</c> as the event states it.</summary>
    public ConcurrentDictionary<string, (string Type, DateTimeOffset ReceivedAt, DateTimeOffset? FinishedAt)> Received { get; } = new();

    public static async Task<EventSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        EventSink? sink = null;
        app.MapPost("/api/events", async (HttpRequest request) =>
        {
            var at = DateTimeOffset.UtcNow;
            var body = await JsonNode.ParseAsync(request.Body);
            Interlocked.Increment(ref sink!._posts);
            foreach (var e in (body as JsonArray ?? []).OfType<JsonObject>())
            {
                Interlocked.Increment(ref sink._events);
                // data.id is the job id; keep the first arrival of each (job, type)
                var finished = e["data"]?["timings"]?["finished_at"]?.GetValue<DateTimeOffset>();
                sink!.Received.TryAdd($"{e["data"]?["id"]}|{e["type"]}", (e["type"]!.ToString(), at, finished));
            }

            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Urls.First();
        sink = new EventSink(app, new Uri(address + "/api/events"));
        return sink;
    }

    public DateTimeOffset? ReceivedAt(string jobId, string type) => Received.TryGetValue($"{jobId}|{type}", out var r) ? r.ReceivedAt : null;

    /// <summary>When the job finished by its event: for "succeeded", the moment the video was stored.</summary>
    public DateTimeOffset? FinishedAt(string jobId, string type) => Received.TryGetValue($"{jobId}|{type}", out var r) ? r.FinishedAt : null;

    private long _posts;
    private long _events;

    /// <summary>Publish calls received (each an Event Grid operation per 64 KB of its events), and the events in them.</summary>
    public (long Posts, long Events) Traffic => (Interlocked.Read(ref _posts), Interlocked.Read(ref _events));

    public int Count(string type) => Received.Values.Count(r => r.Type == type);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
