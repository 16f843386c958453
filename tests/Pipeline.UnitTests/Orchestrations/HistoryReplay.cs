using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.DurableTask.Worker.Grpc;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;
using P = Microsoft.DurableTask.Protobuf;

namespace Pipeline.UnitTests.Orchestrations;

/// <summary>
/// A job's recorded history driven forward through today's orchestrator exactly as the Functions host drives it
/// (<see cref="GrpcOrchestrationRunner"/>: past events replayed, new events applied, actions returned). A history from
/// an earlier version that today's code cannot replay fails here with Durable's own non-determinism error.
/// </summary>
internal sealed class HistoryReplay
{
    private readonly string _instanceId;
    private readonly string _executionId;
    private readonly List<P.HistoryEvent> _history;
    private DateTime _now;

    private HistoryReplay(P.OrchestratorRequest request, P.OrchestratorResponse response, string description)
    {
        _instanceId = request.InstanceId;
        _executionId = request.ExecutionId;
        _history = [.. request.PastEvents, .. request.NewEvents];
        _now = _history.Max(e => e.Timestamp.ToDateTime());
        _history.AddRange(response.Actions.Select(ActionAsEvent).OfType<P.HistoryEvent>());
        _recorded = _history.Count;
        Description = description;
    }

    private readonly int _recorded;

    /// <summary>Every activity the job scheduled after the recorded history (after the deploy), in order.</summary>
    public IReadOnlyList<string> ScheduledAfterDeploy =>
        [.. _history.Skip(_recorded).Where(e => e.TaskScheduled is not null).Select(e => e.TaskScheduled.Name)];

    public string Description { get; }

    /// <summary>Actions of the last episode.</summary>
    public IReadOnlyList<P.OrchestratorAction> LastActions { get; private set; } = [];

    /// <summary>The job's outcome once the orchestration completed.</summary>
    public VideoJobResult? Result { get; private set; }

    public VideoJob Job =>
        JsonSerializer.Deserialize<VideoJob>(_history.First(e => e.ExecutionStarted is not null).ExecutionStarted.Input)!;

    /// <summary>Version folders and fixture names: <c>v1/http-waiting-for-webhook</c>.</summary>
    public static HistoryReplay Load(string fixture)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Orchestrations", "Histories", fixture + ".json");
        var json = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        var request = P.OrchestratorRequest.Parser.ParseFrom(ByteString.FromBase64(json.GetProperty("request").GetString()!));
        var response = P.OrchestratorResponse.Parser.ParseFrom(ByteString.FromBase64(json.GetProperty("response").GetString()!));
        return new HistoryReplay(request, response, json.GetProperty("description").GetString()!);
    }

    /// <summary>A new job of <paramref name="version"/>, after its first episode.</summary>
    public static HistoryReplay Start(VideoJob job, string version, DateTime at)
    {
        var request = new P.OrchestratorRequest { InstanceId = job.Id, ExecutionId = "execution-1" };
        request.NewEvents.Add(new P.HistoryEvent
        {
            EventId = -1,
            Timestamp = Timestamp.FromDateTime(at),
            OrchestratorStarted = new P.OrchestratorStartedEvent(),
        });
        request.NewEvents.Add(new P.HistoryEvent
        {
            EventId = -1,
            Timestamp = Timestamp.FromDateTime(at),
            ExecutionStarted = new P.ExecutionStartedEvent
            {
                Name = VideoJobOrchestrator.Name,
                Version = version,
                Input = JsonSerializer.Serialize(job),
                OrchestrationInstance = new P.OrchestrationInstance { InstanceId = job.Id, ExecutionId = "execution-1" },
            },
        });
        return new HistoryReplay(request, Execute(request), $"a new version {version} job");
    }

    /// <summary>Every activity the job scheduled, in order.</summary>
    public IReadOnlyList<string> AllScheduled => [.. _history.Where(e => e.TaskScheduled is not null).Select(e => e.TaskScheduled.Name)];

    /// <summary>The results of an activity's completed runs, in order.</summary>
    public IEnumerable<string> CompletedResults(string activity) =>
        _history.Where(e => e.TaskCompleted is not null
                && _history.Any(s => s.EventId == e.TaskCompleted.TaskScheduledId && s.TaskScheduled?.Name == activity))
            .Select(e => e.TaskCompleted.Result);

    /// <summary>Tasks scheduled and not yet answered: (id, name, input JSON).</summary>
    public IEnumerable<(int Id, string Name, string Input)> PendingTasks =>
        _history.Where(e => e.TaskScheduled is not null
                && !_history.Any(d => d.TaskCompleted?.TaskScheduledId == e.EventId || d.TaskFailed?.TaskScheduledId == e.EventId))
            .Select(e => (e.EventId, e.TaskScheduled.Name, e.TaskScheduled.Input));

    /// <summary>Timers created and not yet fired, soonest first.</summary>
    public IEnumerable<(int Id, DateTime FireAt)> OpenTimers =>
        _history.Where(e => e.TimerCreated is not null && !_history.Any(f => f.TimerFired?.TimerId == e.EventId))
            .Select(e => (e.EventId, e.TimerCreated.FireAt.ToDateTime())).OrderBy(t => t.Item2);

    public IReadOnlyList<P.OrchestratorAction> Raise(string name, object data) =>
        Run(Event(e => e.EventRaised = new P.EventRaisedEvent { Name = name, Input = JsonSerializer.Serialize(data) }));

    public IReadOnlyList<P.OrchestratorAction> Complete(int taskId, string resultJson) =>
        Run(Event(e => e.TaskCompleted = new P.TaskCompletedEvent { TaskScheduledId = taskId, Result = resultJson }));

    public IReadOnlyList<P.OrchestratorAction> FireNextTimer()
    {
        var (id, fireAt) = OpenTimers.First();
        _now = fireAt > _now ? fireAt : _now;
        return Run(Event(e => e.TimerFired = new P.TimerFiredEvent { TimerId = id, FireAt = Timestamp.FromDateTime(fireAt) }));
    }

    /// <summary>
    /// Answers every task the job schedules with <paramref name="answer"/> (by activity name and input) and fires its
    /// timers when it waits for nothing else, until it completes; returns its result.
    /// </summary>
    public VideoJobResult DriveToEnd(Func<string, string, string> answer)
    {
        for (var episode = 0; Result is null; episode++)
        {
            Assert.True(episode < 40, "the job did not complete within 40 episodes");
            if (PendingTasks.FirstOrDefault() is { Name: not null } task)
            {
                Complete(task.Id, answer(task.Name, task.Input));
            }
            else
            {
                Assert.True(OpenTimers.Any(), "the job waits for an event that will not come");
                FireNextTimer();
            }
        }

        return Result!;
    }

    private IReadOnlyList<P.OrchestratorAction> Run(P.HistoryEvent newEvent)
    {
        var request = new P.OrchestratorRequest { InstanceId = _instanceId, ExecutionId = _executionId };
        request.PastEvents.AddRange(_history);
        var started = Event(e => e.OrchestratorStarted = new P.OrchestratorStartedEvent());
        request.NewEvents.Add(started);
        request.NewEvents.Add(newEvent);
        var response = Execute(request);

        var completed = response.Actions.FirstOrDefault(a => a.CompleteOrchestration is not null)?.CompleteOrchestration;
        Assert.False(completed?.OrchestrationStatus == P.OrchestrationStatus.Failed,
            $"{Description}: the orchestration failed: "
                + $"{completed?.FailureDetails?.ErrorType} {completed?.FailureDetails?.ErrorMessage} {completed?.Result}");
        if (completed is not null)
        {
            Result = JsonSerializer.Deserialize<VideoJobResult>(completed.Result);
        }

        _history.Add(started);
        _history.Add(newEvent);
        foreach (var action in response.Actions)
        {
            if (ActionAsEvent(action) is { } recorded)
            {
                _history.Add(recorded);
            }
        }

        LastActions = [.. response.Actions];
        return LastActions;
    }

    private static P.OrchestratorResponse Execute(P.OrchestratorRequest request) =>
        P.OrchestratorResponse.Parser.ParseFrom(ByteString.FromBase64(GrpcOrchestrationRunner.LoadAndRun<VideoJob, VideoJobResult>(
            request.ToByteString().ToBase64(), async (context, job) => await VideoJobOrchestrator.RunAsync(context, job!))));

    private P.HistoryEvent Event(Action<P.HistoryEvent> set)
    {
        var e = new P.HistoryEvent { EventId = -1, Timestamp = Timestamp.FromDateTime(_now) };
        set(e);
        return e;
    }

    private P.HistoryEvent? ActionAsEvent(P.OrchestratorAction action)
    {
        var e = new P.HistoryEvent { EventId = action.Id, Timestamp = Timestamp.FromDateTime(_now) };
        switch (action.OrchestratorActionTypeCase)
        {
            case P.OrchestratorAction.OrchestratorActionTypeOneofCase.ScheduleTask:
                e.TaskScheduled = new P.TaskScheduledEvent
                {
                    Name = action.ScheduleTask.Name,
                    Version = action.ScheduleTask.Version,
                    Input = action.ScheduleTask.Input,
                };
                return e;
            case P.OrchestratorAction.OrchestratorActionTypeOneofCase.CreateTimer:
                e.TimerCreated = new P.TimerCreatedEvent { FireAt = action.CreateTimer.FireAt };
                return e;
            case P.OrchestratorAction.OrchestratorActionTypeOneofCase.SendEvent:
                e.EventSent = new P.EventSentEvent
                {
                    InstanceId = action.SendEvent.Instance.InstanceId,
                    Name = action.SendEvent.Name,
                    Input = action.SendEvent.Data,
                };
                return e;
            default:
                return null;
        }
    }
}
