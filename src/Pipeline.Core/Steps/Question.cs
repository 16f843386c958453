using System.Text.Json.Serialization;

namespace Pipeline.Core.Steps;

/// <summary>
/// What a job's step is asked, as the orchestrator numbers it: the step, the job, the fal request and submit attempt it
/// is about, and its place among the job's questions. A step's answer repeats it, so the orchestrator can tell an
/// answer to this question from a leftover one that the engine hands to whichever step holds the same task id
/// (durable-local-engine.md, "Results that arrive for the wrong step").
/// </summary>
/// <param name="Number">The job's n-th question: questions asked on different paths of a replay never share it with the same step.</param>
public sealed record Question(
    [property: JsonPropertyName("step")] string Step,
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("fal_request_id")] string? FalRequestId,
    [property: JsonPropertyName("attempt")] int Attempt,
    [property: JsonPropertyName("number")] int Number);
