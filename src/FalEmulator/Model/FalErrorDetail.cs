using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace FalEmulator.Model;

/// <summary>
/// One entry of fal's error body <c>{ "detail": [ … ] }</c> (docs.fal.ai/errors): where (<c>loc</c>, e.g.
/// <c>["body", "resolution"]</c>), a human message, a machine type, a documentation link and optional context.
/// </summary>
public sealed record FalErrorDetail(
    [property: JsonPropertyName("loc")] IReadOnlyList<object> Loc,
    [property: JsonPropertyName("msg")] string Msg,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("ctx")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonObject? Ctx = null,
    [property: JsonPropertyName("input")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonNode? Input = null)
{
    public static FalErrorDetail Create(
        IReadOnlyList<object> loc, string type, string msg, JsonObject? ctx = null, JsonNode? input = null) =>
        new(loc, msg, type, DocumentationUrl(type), ctx, input?.DeepClone());

    public static string DocumentationUrl(string type) => $"https://docs.fal.ai/errors/#{type}";

    /// <summary>The error body fal sends: <c>{ "detail": [ … ] }</c>.</summary>
    public static JsonObject Body(IEnumerable<FalErrorDetail> details) =>
        new() { ["detail"] = JsonSerializer.SerializeToNode(details.ToArray()) };
}
