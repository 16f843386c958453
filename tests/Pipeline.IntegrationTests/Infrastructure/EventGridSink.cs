using System.Text.Json;
using Azure.Messaging;
using Microsoft.AspNetCore.Http;
using Pipeline.LocalHost.Events;

namespace Pipeline.IntegrationTests.Infrastructure;

/// <summary>One CloudEvent the sink accepted, with the JSON object it arrived as.</summary>
public sealed record ReceivedCloudEvent(CloudEvent Event, string RawJson);

/// <summary>
/// A loopback stand-in for an Event Grid custom topic that takes CloudEvents 1.0, for the tests: the shared
/// <see cref="LoopbackTopic"/> (<c>POST /api/events</c> with the <c>aeg-sas-key</c> header,
/// <c>application/cloudevents-batch+json</c> or <c>application/cloudevents+json</c>; see <see cref="EventGridTopic"/>)
/// with what only tests ask on top: failures on demand (<see cref="FailNext"/>), every job event checked against its
/// published schema, a record of every call and a wait for events.
/// </summary>
/// <remarks>
/// Answers: 200 (events stored), 401 (missing or wrong key), 415 (other content type), 400 (not JSON, wrong JSON
/// shape, an event without the required CloudEvents attributes, or a job event that does not match its schema), or
/// the status set with <see cref="FailNext"/>.
/// </remarks>
public sealed class EventGridSink : IAsyncDisposable
{
    /// <summary>The header Event Grid reads a topic access key from.</summary>
    public const string KeyHeader = EventGridTopic.KeyHeader;

    private static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly List<ReceivedCloudEvent> _received = [];
    private readonly List<TopicPost> _requests = [];
    private LoopbackTopic? _topic;
    private TaskCompletionSource _changed = NewSignal();
    private int _failuresLeft;
    private int _failureStatus;

    private EventGridSink()
    {
    }

    /// <summary><c>http://127.0.0.1:{port}/api/events</c>.</summary>
    public Uri TopicEndpoint => Topic.TopicEndpoint;

    /// <summary>The access key the sink expects in <c>aeg-sas-key</c>.</summary>
    public string Key => Topic.Key;

    /// <summary>Every accepted event, in arrival order.</summary>
    public IReadOnlyList<CloudEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return _received.Select(r => r.Event).ToArray();
            }
        }
    }

    /// <summary>Every accepted event with its raw JSON, in arrival order.</summary>
    public IReadOnlyList<ReceivedCloudEvent> Received
    {
        get
        {
            lock (_gate)
            {
                return _received.ToArray();
            }
        }
    }

    /// <summary>Every POST to the topic, including refused and deliberately failed ones (for retry assertions).</summary>
    public IReadOnlyList<TopicPost> Requests
    {
        get
        {
            lock (_gate)
            {
                return _requests.ToArray();
            }
        }
    }

    private LoopbackTopic Topic => _topic ?? throw new InvalidOperationException("The sink has not started.");

    /// <summary>Starts the sink on 127.0.0.1 with a free port.</summary>
    public static async Task<EventGridSink> StartAsync(string key = "sink-key")
    {
        var sink = new EventGridSink();
        sink._topic = await LoopbackTopic.StartAsync(key, sink.OnPost, TestContext.Current.CancellationToken);
        return sink;
    }

    /// <summary>Answers the next <paramref name="count"/> authorised POSTs with <paramref name="status"/>, storing nothing.</summary>
    public void FailNext(int count, int status = StatusCodes.Status500InternalServerError)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            _failuresLeft = count;
            _failureStatus = status;
        }
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds for the events received so far (checked now and after every
    /// POST) and returns them; throws <see cref="TimeoutException"/> after <paramref name="timeout"/> (10 s default).
    /// </summary>
    public async Task<IReadOnlyList<CloudEvent>> WaitForAsync(
        Func<IReadOnlyList<CloudEvent>, bool> condition, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var limit = timeout ?? DefaultWaitTimeout;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(limit);
        while (true)
        {
            Task changed;
            CloudEvent[] events;
            lock (_gate)
            {
                changed = _changed.Task;
                events = _received.Select(r => r.Event).ToArray();
            }

            if (condition(events))
            {
                return events;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                var seen = string.Join(", ", events.Select(e => $"{e.Type} ({e.Subject})"));
                throw new TimeoutException(
                    $"The Event Grid sink did not see the expected events within {limit.TotalSeconds:0.#} s; " +
                    $"it has {events.Length}: [{seen}].");
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_topic is not null)
        {
            await _topic.DisposeAsync();
        }
    }

    /// <summary>A call as the topic read it: failed on demand, refused if a job event breaks its schema, recorded.</summary>
    private TopicPost OnPost(TopicPost post)
    {
        lock (_gate)
        {
            if (post.KeyAccepted && _failuresLeft > 0)
            {
                _failuresLeft--;
                post = post.Refused(_failureStatus, "Failure injected by EventGridSink.FailNext.");
            }
        }

        if (post.Status == StatusCodes.Status200OK && SchemaProblem(post.Events) is { } problem)
        {
            post = post.Refused(StatusCodes.Status400BadRequest, problem);
        }

        lock (_gate)
        {
            _requests.Add(post);
            _received.AddRange(post.Events.Select(e => new ReceivedCloudEvent(e.CloudEvent!, e.RawJson)));
            _changed.TrySetResult();
            _changed = NewSignal();
        }

        return post;
    }

    /// <summary>Every job event any test publishes must match its published schema, as a strict subscriber would demand.</summary>
    private static string? SchemaProblem(IEnumerable<ReceivedEvent> events)
    {
        foreach (var (cloudEvent, json) in events.Select(e => (e.CloudEvent!, e.RawJson)))
        {
            if (cloudEvent.Type.StartsWith("Pipeline.VideoJob.", StringComparison.Ordinal))
            {
                using var one = JsonDocument.Parse(json);
                if (PublishedSchemas.EventProblems(cloudEvent.Type, one.RootElement.GetProperty("data")) is { Count: > 0 } problems)
                {
                    return $"{cloudEvent.Id} does not match schemas/events/{cloudEvent.Type}.json: {string.Join("; ", problems)}";
                }
            }
        }

        return null;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
