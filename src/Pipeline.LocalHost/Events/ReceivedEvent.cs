using System.Text.Json.Nodes;
using Azure.Messaging;

namespace Pipeline.LocalHost.Events;

/// <summary>
/// One event a topic took: the JSON object it arrived as and, under <see cref="TopicRules.CloudEvents"/>, the CloudEvent.
/// </summary>
public sealed record ReceivedEvent(string RawJson, CloudEvent? CloudEvent)
{
    /// <summary>The event as a JSON object of its own (parsed anew at each call).</summary>
    public JsonObject ToJsonObject() => JsonNode.Parse(RawJson)!.AsObject();
}
