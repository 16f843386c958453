using System.Text.Json.Serialization;

namespace Pipeline.Core.Jobs;

/// <summary>How jobs came to be grouped.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BatchKind>))]
public enum BatchKind
{
    /// <summary>The drops of one inbox folder.</summary>
    [JsonStringEnumMemberName("folder")]
    Folder,

    /// <summary>The rows of one manifest (<c>.jsonl</c> or <c>.csv</c>) dropped in the inbox.</summary>
    [JsonStringEnumMemberName("manifest")]
    Manifest,

    /// <summary>The variants of one API request.</summary>
    [JsonStringEnumMemberName("variants")]
    Variants,
}

/// <summary>
/// The batch a job belongs to: its id, its kind and a name people recognise (<c>inbox/trips/</c>,
/// <c>inbox/shop/products.csv</c>, or the first job of a request's variants), and the job's row in a manifest.
/// </summary>
public sealed record JobBatch(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("kind")] BatchKind Kind,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("row")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Row = null);
