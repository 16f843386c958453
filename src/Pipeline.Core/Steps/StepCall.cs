using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Core.Steps;

/// <summary>A step as the orchestrator asks it: the question and the step's own input (<see cref="StepJson"/>).</summary>
public sealed record StepCall(
    [property: JsonPropertyName("question")] Question Question,
    [property: JsonPropertyName("input")] JsonElement Input);
