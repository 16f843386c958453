using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Pipeline.IntegrationTests.Infrastructure;

/// <summary>One CloudEvent the sink accepted, with the JSON object it arrived as.</summary>
public sealed record ReceivedCloudEvent(CloudEvent Event, string RawJson);

/// <summary>One POST the sink saw (accepted or not) and the status it answered.</summary>
public sealed record SinkRequest(string? ContentType, bool KeyAccepted, int Status, string Body);

/// <summary>
/// A loopback stand-in for an Event Grid custom topic that takes CloudEvents 1.0: <c>POST /api/events</c> with the
/// <c>aeg-sas-key</c> header, <c>application/cloudevents-batch+json</c> (a JSON array) or
/// <c>application/cloudevents+json</c> (one event). The real <c>EventGridPublisherClient</c> with an
/// <c>AzureKeyCredential</c> can publish to <see cref="TopicEndpoint"/> over plain http.
/// </summary>
/// <remarks>
/// Answers: 200 (events stored), 401 (missing or wrong key), 415 (other content type), 400 (not JSON, wrong JSON
/// shape, or an event without the required CloudEvents attributes), or the status set with <see cref="FailNext"/>.
/// </remarks>
public sealed class EventGridSink : IAsyncDisposable
{
    /// <summary>The header Event Grid reads a topic access key from.</summary>
    public const string KeyHeader = "aeg-sas-key";

    private const string BatchMediaType = "application/cloudevents-batch+json";
    private const string SingleMediaType = "application/cloudevents+json";
    private static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly object _gate = new();
    private readonly List<ReceivedCloudEvent> _received = [];
    private readonly List<SinkRequest> _requests = [];
    private TaskCompletionSource _changed = NewSignal();
    private int _failuresLeft;
    private int _failureStatus;

    private EventGridSink(WebApplication app, string key, Uri topicEndpoint)
    {
        _app = app;
        Key = key;
        TopicEndpoint = topicEndpoint;
    }

    /// <summary><c>http://127.0.0.1:{port}/api/events</c>.</summary>
    public Uri TopicEndpoint { get; }

    /// <summary>The access key the sink expects in <c>aeg-sas-key</c>.</summary>
    public string Key { get; }

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
    public IReadOnlyList<SinkRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return _requests.ToArray();
            }
        }
    }

    /// <summary>Starts the sink on 127.0.0.1 with a free port.</summary>
    public static async Task<EventGridSink> StartAsync(string key = "sink-key")
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();

        EventGridSink? sink = null;
        app.MapPost("/api/events", (HttpContext context) => sink!.HandleAsync(context));
        await app.StartAsync(TestContext.Current.CancellationToken);

        var address = new Uri(app.Urls.First());
        sink = new EventGridSink(app, key, new Uri(address, "/api/events"));
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
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var keyAccepted = string.Equals(request.Headers[KeyHeader].ToString(), Key, StringComparison.Ordinal);
        var (status, message, events) = keyAccepted
            ? Accept(request.ContentType, body)
            : (StatusCodes.Status401Unauthorized, $"The request has no valid {KeyHeader} header.", null);

        lock (_gate)
        {
            _requests.Add(new SinkRequest(request.ContentType, keyAccepted, status, body));
            if (events is not null)
            {
                _received.AddRange(events);
            }

            _changed.TrySetResult();
            _changed = NewSignal();
        }

        context.Response.StatusCode = status;
        if (message is not null)
        {
            await context.Response.WriteAsJsonAsync(
                new ErrorBody(new ErrorDetail(((System.Net.HttpStatusCode)status).ToString(), message)),
                SinkJsonContext.Default.ErrorBody,
                cancellationToken: context.RequestAborted);
        }
    }

    private (int Status, string? Message, List<ReceivedCloudEvent>? Events) Accept(string? contentType, string body)
    {
        lock (_gate)
        {
            if (_failuresLeft > 0)
            {
                _failuresLeft--;
                return (_failureStatus, "Failure injected by EventGridSink.FailNext.", null);
            }
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || mediaType.MediaType is not (BatchMediaType or SingleMediaType))
        {
            return (StatusCodes.Status415UnsupportedMediaType,
                $"Content type '{contentType}' is not {BatchMediaType} or {SingleMediaType}.", null);
        }

        var batch = mediaType.MediaType == BatchMediaType;
        try
        {
            using var document = JsonDocument.Parse(body);
            var expected = batch ? JsonValueKind.Array : JsonValueKind.Object;
            if (document.RootElement.ValueKind != expected)
            {
                return (StatusCodes.Status400BadRequest, $"A {mediaType.MediaType} body must be a JSON {expected}.", null);
            }

            var parsed = CloudEvent.ParseMany(BinaryData.FromString(body));
            var raw = batch
                ? document.RootElement.EnumerateArray().Select(e => e.GetRawText()).ToArray()
                : [document.RootElement.GetRawText()];
            if (parsed.Length == 0 || parsed.Length != raw.Length)
            {
                return (StatusCodes.Status400BadRequest, "The batch holds no events.", null);
            }

            // Every job event any test publishes must match its published schema, as a strict subscriber would demand.
            foreach (var (cloudEvent, json) in parsed.Zip(raw))
            {
                if (cloudEvent.Type.StartsWith("Pipeline.VideoJob.", StringComparison.Ordinal))
                {
                    using var one = JsonDocument.Parse(json);
                    if (PublishedSchemas.EventProblems(cloudEvent.Type, one.RootElement.GetProperty("data")) is { Count: > 0 } problems)
                    {
                        return (StatusCodes.Status400BadRequest, $"{cloudEvent.Id} does not match schemas/events/{cloudEvent.Type}.json: {string.Join("; ", problems)}", null);
                    }
                }
            }

            return (StatusCodes.Status200OK, null, parsed.Zip(raw, (e, r) => new ReceivedCloudEvent(e, r)).ToList());
        }
        catch (Exception e) when (e is JsonException or ArgumentException or FormatException)
        {
            return (StatusCodes.Status400BadRequest, "Not valid CloudEvents 1.0: " + e.Message, null);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal sealed record ErrorBody(ErrorDetail Error);

    internal sealed record ErrorDetail(string Code, string Message);
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(
    PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(EventGridSink.ErrorBody))]
internal sealed partial class SinkJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
