using System.Text.Json.Serialization;

namespace Pipeline.Core.Jobs;

/// <summary>Which of a request's <c>variants</c> a job is: number <paramref name="Index"/> of <paramref name="Of"/>.</summary>
public sealed record JobVariant(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("of")] int Of);
