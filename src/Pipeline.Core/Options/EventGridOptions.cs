namespace Pipeline.Core.Options;

/// <summary>Where job events go (section <c>EventGrid</c>): a custom topic with the CloudEvents 1.0 input schema.</summary>
public sealed class EventGridOptions
{
    public const string SectionName = "EventGrid";

    /// <summary>
    /// The topic endpoint (<c>https://&lt;topic&gt;.&lt;region&gt;-1.eventgrid.azure.net/api/events</c>); empty: events
    /// are only logged.
    /// </summary>
    public Uri? TopicEndpoint { get; set; }

    /// <summary>An access key of the topic; empty: the app's managed identity (EventGrid Data Sender role).</summary>
    public string? TopicKey { get; set; }

    /// <summary>The client id of a user-assigned managed identity, when that is the one to use.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>How long one delivery may take (the SDK's retries included) before the event waits in the outbox.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long an event that could not be delivered is offered again (every 30 s, doubling to 10 min) before it is
    /// given up.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);
}
