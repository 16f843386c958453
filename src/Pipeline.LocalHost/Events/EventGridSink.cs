using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Pipeline.LocalHost.Events;

/// <summary>
/// Stands in for the Event Grid topic on one machine: the real EventGridPublisherClient posts CloudEvents here (read as
/// <see cref="EventGridTopic"/> reads them, by <see cref="TopicRules.AnyJson"/>, from this machine only); each one is
/// appended, one JSON object a line, to <c>events.jsonl</c> (and logged, at Debug).
/// </summary>
public static partial class EventGridSink
{
    public const string Path = "/eventgrid/api/events";

    private static readonly Lock FileGate = new();

    public static IEndpointRouteBuilder MapEventGridSink(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, async (HttpRequest request, IOptions<LocalHostOptions> options,
            IOptions<Pipeline.Core.Options.EventGridOptions> topic, ILoggerFactory loggers, CancellationToken ct) =>
        {
            // Only this machine, with the key this run made and gave its own publisher.
            if (request.HttpContext.Connection.RemoteIpAddress is not { } remote || !System.Net.IPAddress.IsLoopback(remote))
            {
                return Results.Unauthorized();
            }

            var post = await EventGridTopic.ReceiveAsync(request, topic.Value.TopicKey, TopicRules.AnyJson, ct);
            if (post.Status != StatusCodes.Status200OK)
            {
                return Results.StatusCode(post.Status);
            }

            var events = post.Events.Select(e => e.ToJsonObject()).ToList();
            var logger = loggers.CreateLogger("Events");
            lock (FileGate)
            {
                File.AppendAllLines(options.Value.EventsFile, events.Select(e => e.ToJsonString()));
            }

            if (logger.IsEnabled(LogLevel.Debug))
            {
                foreach (var e in events)
                {
                    LogEvent(logger, e["type"], e["subject"], e["id"]);
                }
            }

            return Results.Ok();
        }).ExcludeFromDescription();
        return app;
    }

    // Debug: the console tells of jobs already (JobProgressReporter); events.jsonl keeps every event.
    [LoggerMessage(Level = LogLevel.Debug, Message = "event {Type} {Subject} ({Id})")]
    private static partial void LogEvent(ILogger logger, JsonNode? type, JsonNode? subject, JsonNode? id);
}
