using System.Text.Json;
using Microsoft.DurableTask;
using Pipeline.Core.Logging;
using Pipeline.Core.Steps;

namespace Pipeline.Core.Orchestrations;

/// <summary>
/// How a version 3 job asks its steps: each call is a numbered <see cref="Question"/>, and only an answer that repeats
/// it counts. A leftover answer of another step (the engine completes whichever step holds its task id) is logged and
/// the question asked again, so it can never complete the wrong step. Patient calls try again on durable timers, which
/// cost nothing while they wait and survive restarts.
/// </summary>
internal sealed class StepCaller(TaskOrchestrationContext context, string jobId, ILogger log)
{
    /// <summary>Leftover answers in a row before the step counts as failed (one is already rare).</summary>
    private const int MaxLeftovers = 3;

    private int _asked;

    public async Task<StepResult<T>> AskAsync<T>(string step, object input, string? requestId = null, int attempt = 0)
    {
        for (var leftovers = 0; ; leftovers++)
        {
            var question = new Question(step, jobId, requestId, attempt, ++_asked);
            JsonElement raw;
            try
            {
                raw = await context.CallActivityAsync<JsonElement>(step, new StepCall(question, StepJson.ToElement(input)));
            }
            catch (TaskFailedException e)
            {
                return new StepResult<T>.Failed(StepFailure.FromTask(e)); // the step's function itself could not run
            }

            var answer = StepAnswer.Read(raw);
            if (answer?.Question == question)
            {
                return answer.Failure is { } failure
                    ? new StepResult<T>.Failed(failure)
                    : new StepResult<T>.Answered(answer.OutputAs<T>()!);
            }

            log.LeftoverAnswerIgnored(
                jobId, step, question.Number, answer is null ? "none: another shape" : $"{answer.Question.Step} #{answer.Question.Number}");
            if (leftovers + 1 >= MaxLeftovers)
            {
                return new StepResult<T>.Failed(new StepFailure("leftover_answers", $"{step} got only answers to other questions", []));
            }
        }
    }

    /// <summary>
    /// Asks until the step answers, fails for good (<paramref name="isFinal"/>) or the patience runs out; between tries a
    /// durable timer waits (the first delay, doubling to the longest). <paramref name="retrying"/> hears of each pause.
    /// </summary>
    public async Task<StepResult<T>> PatientlyAsync<T>(
        string step, object input, Patience patience, Func<StepFailure, bool> isFinal, string? requestId = null,
        Action<StepFailure, int, DateTime>? retrying = null)
    {
        var delay = patience.FirstDelay;
        for (var tries = 1; ; tries++)
        {
            var result = await AskAsync<T>(step, input, requestId);
            if (result is not StepResult<T>.Failed { Failure: var failure } || isFinal(failure)
                || context.CurrentUtcDateTime + delay > patience.GiveUpAt)
            {
                return result;
            }

            log.StepRetrying(jobId, step, tries, failure.Message, delay);
            retrying?.Invoke(failure, tries, context.CurrentUtcDateTime + delay);
            await context.CreateTimer(delay, CancellationToken.None);
            delay = patience.After(delay);
        }
    }
}
