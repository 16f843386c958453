using System.Text.Json.Nodes;
using Pipeline.Core.Events;

namespace Pipeline.Core.Contract;

/// <summary>
/// The schema of each event type's <c>data</c>, as published in <c>schemas/events/{type}.json</c> for Event Grid
/// subscribers and callback receivers: the shape of <see cref="JobEventData"/>, with what each type always carries
/// required (a submitted job's fal request, a succeeded job's video, a failed or cancelled job's error).
/// </summary>
public static class EventSchemas
{
    public static readonly IReadOnlyDictionary<string, string[]> RequiredByType = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [JobEventTypes.Submitted] = ["fal_request_id"],
        [JobEventTypes.Succeeded] = ["fal_request_id", "video"],
        [JobEventTypes.Failed] = ["error"],
        [JobEventTypes.Cancelled] = ["error"],
    };

    public static IEnumerable<string> Types => RequiredByType.Keys;

    /// <summary>The file a type's schema is published as (under <c>schemas/events/</c>).</summary>
    public static string FileName(string type) => $"{type}.json";

    public static JsonObject For(string type)
    {
        var schema = ContractSchemas.Requiring(ContractSchemas.Of(typeof(JobEventData)), RequiredByType[type]);
        var ordered = new JsonObject
        {
            ["$schema"] = ContractSchemas.Draft,
            ["$id"] = $"urn:video-pipeline:events:{type}",
            ["title"] = $"data of {type}",
            ["description"] = $"The data of a {type} CloudEvent (Event Grid topic and per-job callbacks).",
        };
        foreach (var (key, value) in schema)
        {
            ordered[key] = value?.DeepClone();
        }

        return ordered;
    }
}
