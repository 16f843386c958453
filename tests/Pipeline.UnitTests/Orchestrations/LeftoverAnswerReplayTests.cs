using System.Text.Json;
using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Steps;
using static Pipeline.UnitTests.Orchestrations.OrchestrationHarness;

namespace Pipeline.UnitTests.Orchestrations;

/// <summary>
/// Results that arrive for the wrong step, driven through the real runner (<see cref="HistoryReplay"/>): the Azure
/// Storage backend sends an episode's activity messages before it saves the episode, so after a crash between the two a
/// leftover result can complete whichever step later holds its task id (durable-local-engine.md). Each step of a
/// version 3 job is handed a leftover answer first — another step's answer, or a bare result of version 2's shape —
/// and must ask again rather than take it; the job still ends once, with its video.
/// </summary>
public sealed class LeftoverAnswerReplayTests
{
    public static TheoryData<string, string> Pairs()
    {
        var data = new TheoryData<string, string>();
        foreach (var step in new[] { JobSteps.Submit, JobSteps.Announce, JobSteps.ReadResult, JobSteps.Store })
        {
            data.Add(step, "another step's answer");
            data.Add(step, "a bare poll result");
            data.Add(step, "a bare true");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void ALeftoverAnswer_IsNeverTakenForTheStepThatHoldsItsTaskId(string step, string leftover)
    {
        var job = HistoryReplay.Start(HttpJob(), VideoJobOrchestrator.Version, Start);
        var poisoned = false;

        var result = DriveToEnd(job, (name, call) =>
        {
            if (name != step || poisoned)
            {
                return null;
            }

            poisoned = true;
            return leftover switch
            {
                "another step's answer" => JsonSerializer.Serialize(
                    StepAnswer.Of(
                        call.Question with { Step = JobSteps.Poll, Number = call.Question.Number + 1 },
                        new FalPoll(FalRequestState.Completed, null, Success())),
                    StepJson.Options),
                "a bare poll result" => JsonSerializer.Serialize(new FalPoll(FalRequestState.InProgress, 1, null)),
                _ => "true",
            };
        });

        Assert.True(poisoned);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(FalRequestId, result.FalRequestId);
        var clean = HistoryReplay.Start(HttpJob(), VideoJobOrchestrator.Version, Start);
        DriveToEnd(clean, (_, _) => null);
        // asked once more, no other change
        Assert.Equal(clean.AllScheduled.Count(n => n == step) + 1, job.AllScheduled.Count(n => n == step));
        Assert.Equal(
            clean.AllScheduled.Count - clean.AllScheduled.Count(n => n == step),
            job.AllScheduled.Count - job.AllScheduled.Count(n => n == step));
    }

    [Fact]
    public void OkWebhookWithoutPayload_APollResultForTheResultRead_IsNotAFalError()
    {
        // The reproduction: an OK webhook without payload, then the result read's task completed with a poll's JSON.
        var job = HistoryReplay.Start(HttpJob(), VideoJobOrchestrator.Version, Start);
        var result = DriveToEnd(job, (name, call) => name == JobSteps.ReadResult && job.AllScheduled.Count(n => n == name) == 1
            ? JsonSerializer.Serialize(new FalPoll(FalRequestState.Completed, null, null))
            : null);

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
    }

    /// <summary>
    /// Answers every step (<paramref name="leftover"/> may answer instead), raises fal's OK webhook without payload once
    /// the job waits, and fires timers otherwise, until the job completes.
    /// </summary>
    private static VideoJobResult DriveToEnd(HistoryReplay job, Func<string, StepCall, string?> leftover)
    {
        var raised = false;
        for (var episode = 0; job.Result is null; episode++)
        {
            Assert.True(episode < 60, "the job did not complete within 60 episodes");
            if (job.PendingTasks.FirstOrDefault() is { Name: not null } task)
            {
                // The runner hands an activity its input as a one-element array (DurableTask.Core's parameters).
                var call = JsonSerializer.Deserialize<StepCall[]>(task.Input, StepJson.Options)![0];
                job.Complete(task.Id, leftover(task.Name, call) ?? Answer(task.Name, call));
            }
            else if (!raised)
            {
                raised = true;
                job.Raise(VideoJobOrchestrator.FalCompletedEvent, Success() with { VideoUrl = null });
            }
            else
            {
                job.FireNextTimer();
            }
        }

        return job.Result!;
    }

    private static string Answer(string step, StepCall call) => JsonSerializer.Serialize(StepAnswer.Of(call.Question, step switch
    {
        JobSteps.Submit => new SubmitToFalOutcome.Submitted(FalRef, 2, new DateTimeOffset(Start, TimeSpan.Zero), false, false),
        JobSteps.Announce => AnnounceOutcome.Delivered,
        JobSteps.ReadResult => Success(),
        JobSteps.Store => StoredOutcome(),
        JobSteps.Poll => new FalPoll(FalRequestState.InProgress, null, null),
        JobSteps.Cancel => true,
        _ => null,
    }), StepJson.Options);
}
