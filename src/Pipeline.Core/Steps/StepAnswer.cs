using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Core.Steps;

/// <summary>
/// A step's answer: the question it answers, and the step's output or its failure. Steps never throw to the engine, so
/// a failure names its question too, and a leftover answer of another step can never pass for this one.
/// </summary>
public sealed record StepAnswer(
    [property: JsonPropertyName("question")] Question Question,
    [property: JsonPropertyName("output")] JsonElement? Output,
    [property: JsonPropertyName("failure")] StepFailure? Failure)
{
    public static StepAnswer Of(Question question, object? output) => new(question, StepJson.ToElement(output), null);

    public static StepAnswer Failed(Question question, StepFailure failure) => new(question, null, failure);

    /// <summary>The answer in <paramref name="raw"/>, or null when it is not one (a leftover result of another shape).</summary>
    public static StepAnswer? Read(JsonElement raw)
    {
        try
        {
            // Another shape can read as an answer without a question (its properties are all optional): it is none.
            return raw.ValueKind == JsonValueKind.Object && raw.Deserialize<StepAnswer>(StepJson.Options) is { Question: not null } answer
                ? answer
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The output as <typeparamref name="T"/>; null when it does not read as one.</summary>
    public T? OutputAs<T>()
    {
        try
        {
            return Output is { } output ? output.Deserialize<T>(StepJson.Options) : default;
        }
        catch (JsonException)
        {
            return default;
        }
    }
}
