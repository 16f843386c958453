namespace Pipeline.LocalHost.Events;

/// <summary>What a stand-in for an Event Grid topic takes from a publisher whose key it accepts.</summary>
public enum TopicRules
{
    /// <summary>
    /// As Event Grid's CloudEvents topic: <c>application/cloudevents-batch+json</c> (a JSON array) or
    /// <c>application/cloudevents+json</c> (one event), each event with the attributes CloudEvents 1.0 requires.
    /// </summary>
    CloudEvents,

    /// <summary>
    /// What the local host's sink has always taken: any content type, a JSON array (its objects kept, anything else
    /// skipped) or one JSON object; no attribute is checked.
    /// </summary>
    AnyJson,
}
