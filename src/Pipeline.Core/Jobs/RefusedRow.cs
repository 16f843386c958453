using System.Text.Json.Serialization;

namespace Pipeline.Core.Jobs;

/// <summary>A manifest row that was not started, and why (by field).</summary>
public sealed record RefusedRow(
    [property: JsonPropertyName("row")] int Row,
    [property: JsonPropertyName("errors")] IReadOnlyDictionary<string, string[]> Errors);
