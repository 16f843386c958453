using System.Text.Json;
using Pipeline.Core.Activities;

namespace Pipeline.Core.Steps;

/// <summary>
/// Runs a job's step for both hosts: reads the step's input from its envelope, runs the activity (through
/// <see cref="PipelineActivityRunner"/>: span and log scope by job) and answers with the question it was asked. Every
/// failure becomes part of the answer, so the engine never completes this step's task with an error it cannot name.
/// </summary>
public sealed class StepRunner(PipelineActivityRunner runner)
{
    public async Task<StepAnswer> RunAsync<TInput, TOutput>(
        IPipelineActivity<TInput, TOutput> activity, StepCall call, string instanceId, CancellationToken cancellationToken)
    {
        var question = call.Question;
        if (!string.Equals(question.JobId, instanceId, StringComparison.Ordinal))
        {
            // Never sent by this app's orchestrations: a step runs only for the job that asks it.
            return StepAnswer.Failed(
                question, new StepFailure(nameof(InvalidOperationException), $"asked for job {question.JobId} by {instanceId}", []));
        }

        try
        {
            var input = call.Input.Deserialize<TInput>(StepJson.Options)
                ?? throw new JsonException($"step {question.Step} was given no input");
            return StepAnswer.Of(question, await runner.RunAsync(activity, question.Step, instanceId, input, cancellationToken));
        }
        catch (Exception e)
        {
            return StepAnswer.Failed(question, StepFailure.From(e));
        }
    }
}
