using System.Text.Json;
using Json.Schema;

namespace Pipeline.IntegrationTests.Infrastructure;

/// <summary>
/// The event schemas as published (<c>schemas/events/{type}.json</c>, the files subscribers read), and a check of an
/// event's <c>data</c> against them with an independent JSON Schema validator (JsonSchema.Net).
/// </summary>
public static class PublishedSchemas
{
    private static readonly Lazy<Dictionary<string, JsonSchema>> Events = new(() =>
    {
        var folder = Path.Combine(AzuriteFixture.FindRepositoryRoot(), "schemas", "events");
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        return Directory.EnumerateFiles(folder, "*.json")
            .ToDictionary(
                f => Path.GetFileNameWithoutExtension(f), f => JsonSchema.FromText(File.ReadAllText(f), options), StringComparer.Ordinal);
    });

    /// <summary>Why <paramref name="data"/> is not a valid <paramref name="type"/> event's data; empty when it is.</summary>
    public static IReadOnlyList<string> EventProblems(string type, JsonElement data)
    {
        if (!Events.Value.TryGetValue(type, out var schema))
        {
            return [$"no schema is published for {type}"];
        }

        return ProblemsOf(schema, data);
    }

    /// <summary>
    /// Every error of evaluating <paramref name="instance"/> against <paramref name="schema"/>, with where it is; empty when valid.
    /// </summary>
    public static List<string> ProblemsOf(JsonSchema schema, JsonElement instance)
    {
        var results = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return results.IsValid
            ? []
            :
            [
                .. (results.Details ?? [])
                    .Where(d => d.Errors is { Count: > 0 })
                    .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key} {e.Value}")),
            ];
    }
}
