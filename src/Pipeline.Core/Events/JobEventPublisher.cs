using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Microsoft.Extensions.Options;
using Pipeline.Core.Options;

namespace Pipeline.Core.Events;

/// <summary>
/// Sends job events to the configured Event Grid topic as CloudEvents 1.0 (JSON data, <c>source</c> from the settings).
/// Without a topic it only logs them, so a local run needs no Azure.
/// </summary>
public partial class JobEventPublisher(
    EventGridPublisherClient? client, IOptions<PipelineOptions> options, ILogger<JobEventPublisher> logger)
{
    public virtual async Task PublishAsync(JobEvent jobEvent, CancellationToken cancellationToken)
    {
        var cloudEvent = ToCloudEvent(jobEvent, options.Value.EventSource);
        if (client is null)
        {
            LogNotConfigured(jobEvent.Type, jobEvent.Data.Id);
            return;
        }

        await client.SendEventAsync(cloudEvent, cancellationToken);
        LogPublished(jobEvent.Type, jobEvent.Data.Id, cloudEvent.Id);
    }

    public static CloudEvent ToCloudEvent(JobEvent jobEvent, string source) =>
        new(source, jobEvent.Type, BinaryData.FromObjectAsJson(jobEvent.Data), "application/json", CloudEventDataFormat.Json)
        {
            Id = jobEvent.CloudEventId,
            Subject = jobEvent.Subject,
            Time = jobEvent.Time,
        };

    [LoggerMessage(Level = LogLevel.Information, Message = "Published {Type} for job {JobId} as {CloudEventId}")]
    private partial void LogPublished(string type, string jobId, string cloudEventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Type} for job {JobId} (no Event Grid topic configured)")]
    private partial void LogNotConfigured(string type, string jobId);
}
