using System.Text.Json;

namespace Pipeline.Core.Steps;

/// <summary>
/// How a step's input and output travel inside their envelopes: serialized here with fixed options, so that neither
/// the Functions worker's serializer nor the Durable converter can rename or drop a field on the way.
/// </summary>
public static class StepJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General);

    public static JsonElement ToElement(object? value) =>
        value is null
            ? JsonSerializer.SerializeToElement<object?>(null, Options)
            : JsonSerializer.SerializeToElement(value, value.GetType(), Options);
}
