using Pipeline.LocalHost.Events;

namespace Pipeline.Bench;

/// <summary>
/// A loopback Event Grid topic (the shared <see cref="LoopbackTopic"/>) that notes when each CloudEvent arrived.
/// </summary>
public sealed class EventSink : IAsyncDisposable
{
    private LoopbackTopic? _topic;
    private long _posts;
    private long _events;

    private EventSink()
    {
    }

    public Uri Endpoint => _topic!.TopicEndpoint;

    /// <summary>The access key the pipeline's publisher sends.</summary>
    public string Key => _topic!.Key;

    /// <summary>By (job, type): when the event arrived, and the job's <c>finished_at</c> as the event states it.</summary>
    public ConcurrentDictionary<string, (string Type, DateTimeOffset ReceivedAt, DateTimeOffset? FinishedAt)> Received { get; } = new();

    /// <summary>Publish calls received (each an Event Grid operation per 64 KB of its events), and the events in them.</summary>
    public (long Posts, long Events) Traffic => (Interlocked.Read(ref _posts), Interlocked.Read(ref _events));

    public static async Task<EventSink> StartAsync()
    {
        var sink = new EventSink();
        sink._topic = await LoopbackTopic.StartAsync("bench", sink.Note);
        return sink;
    }

    public DateTimeOffset? ReceivedAt(string jobId, string type) =>
        Received.TryGetValue($"{jobId}|{type}", out var r) ? r.ReceivedAt : null;

    /// <summary>When the job finished by its event: for "succeeded", the moment the video was stored.</summary>
    public DateTimeOffset? FinishedAt(string jobId, string type) =>
        Received.TryGetValue($"{jobId}|{type}", out var r) ? r.FinishedAt : null;

    public int Count(string type) => Received.Values.Count(r => r.Type == type);

    public async ValueTask DisposeAsync()
    {
        if (_topic is not null)
        {
            await _topic.DisposeAsync();
        }
    }

    private TopicPost Note(TopicPost post)
    {
        Interlocked.Increment(ref _posts);
        foreach (var e in post.Events.Select(e => e.ToJsonObject()))
        {
            Interlocked.Increment(ref _events);
            // data.id is the job id; keep the first arrival of each (job, type)
            var finished = e["data"]?["timings"]?["finished_at"]?.GetValue<DateTimeOffset>();
            Received.TryAdd($"{e["data"]?["id"]}|{e["type"]}", (e["type"]!.ToString(), post.ArrivedAt, finished));
        }

        return post;
    }
}
