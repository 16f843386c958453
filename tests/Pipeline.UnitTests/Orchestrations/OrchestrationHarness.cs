using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Moq.Protected;
using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Requests;
using Pipeline.Core.Steps;
using System.Text.Json;
using Pipeline.Core.Submits;

namespace Pipeline.UnitTests.Orchestrations;

/// <summary>One call of an activity as the orchestrator made it.</summary>
internal sealed record ActivityCall(string Name, object? Input, TaskOptions? Options);

/// <summary>One external-event wait: its name, the token it was given and the task handed back.</summary>
internal sealed record EventWait(string Name, CancellationToken Token);

/// <summary>One durable timer: when it fires and the token it was given.</summary>
internal sealed record TimerCall(DateTime FireAt, CancellationToken Token);

/// <summary>
/// A Moq <see cref="TaskOrchestrationContext"/> (Microsoft's documented unit-test approach for isolated Durable
/// Functions) driven without real time: the clock is a field that a firing timer moves to its due time; activities
/// answer from handlers and are recorded; external events come from per-name queues (an empty queue waits forever).
/// </summary>
internal sealed class OrchestrationHarness
{
    public static readonly DateTime Start = new(2026, 5, 1, 12, 0, 0, DateTimeKind.Utc);

    public const string FalRequestId = "fal-req-0001";

    public static readonly FalRequestRef FalRef = new(
        FalRequestId,
        new Uri($"https://queue.fal.test/bytedance/seedance-2.0/requests/{FalRequestId}/status"),
        new Uri($"https://queue.fal.test/bytedance/seedance-2.0/requests/{FalRequestId}"),
        new Uri($"https://queue.fal.test/bytedance/seedance-2.0/requests/{FalRequestId}/cancel"));

    public static readonly JobTimings Timings = new(
        WebhookWait: TimeSpan.FromMinutes(2),
        PollInterval: TimeSpan.FromSeconds(30),
        Deadline: TimeSpan.FromMinutes(30),
        SidecarGrace: TimeSpan.FromSeconds(5));

    public static readonly VideoRequest Request = new()
    {
        Prompt = "An octopus plays football",
        ImageUrl = "https://cdn.example.com/octopus.png",
    };

    private readonly Dictionary<string, Func<object?, object?>> _handlers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<Task>> _events = new(StringComparer.Ordinal);
    private readonly List<ActivityCall> _calls = [];
    private readonly List<EventWait> _waits = [];
    private readonly List<TimerCall> _timers = [];
    private readonly List<JobProgress> _statuses = [];

    public OrchestrationHarness()
    {
        // CallBase: the context's own overloads (CreateTimer(TimeSpan), CreateReplaySafeLogger) reach the members set up here.
        Context = new Mock<TaskOrchestrationContext>(MockBehavior.Loose) { CallBase = true };
        Context.SetupGet(c => c.CurrentUtcDateTime).Returns(() => Now);
        Context.SetupGet(c => c.IsReplaying).Returns(false);
        Context.SetupGet(c => c.Version).Returns(() => Version);
        Context.SetupGet(c => c.InstanceId).Returns(() => "test-instance");
        Context.Protected().Setup<ILoggerFactory>("LoggerFactory").Returns(NullLoggerFactory.Instance);
        Context.Setup(c => c.SetCustomStatus(It.IsAny<object?>())).Callback((object? status) => _statuses.Add((JobProgress)status!));
        Context.Setup(c => c.CreateTimer(It.IsAny<DateTime>(), It.IsAny<CancellationToken>()))
            .Returns((DateTime fireAt, CancellationToken token) =>
            {
                _timers.Add(new TimerCall(fireAt, token));
                return OnTimer(fireAt, token);
            });
        TimersFire();
        SetUpEvent<FalCompletion>();
        SetUpEvent<CancelRequest>();
        SetUpEvent<string>();
        SetUpActivity<SubmitToFalOutcome>();
        SetUpActivity<FalPoll>();
        SetUpActivity<FalCompletion>();
        SetUpActivity<StoreVideoOutcome>();
        SetUpActivity<bool>();
        SetUpActivity<string>();
        SetUpSteps();

        // Activities whose answer rarely matters.
        On(PublishJobEventActivity.Name, _ => true);
        On(CancelFalRequestActivity.Name, _ => true);
        On(WriteErrorMarkerActivity.Name, _ => "videos/marker.error.json");
        On(ReleaseJobSlotActivity.Name, _ => null);
        On(CheckFalStatusActivity.Name, _ => new FalPoll(FalRequestState.InProgress, null, null));
        On(SubmitToFalActivity.Name, _ => new SubmitToFalOutcome.Submitted(FalRef, 3, default, false, false));

        // Version 3's steps, the same answers.
        On(JobSteps.Announce, _ => AnnounceOutcome.Delivered);
        On(JobSteps.Cancel, _ => true);
        On(JobSteps.MarkFailure, _ => "videos/marker.error.json");
        On(JobSteps.Settle, _ => null);
        On(JobSteps.RecordInBatch, _ => true);
        On(JobSteps.Poll, _ => new FalPoll(FalRequestState.InProgress, null, null));
        On(JobSteps.FindAtFal, _ => new FalSearch([], true));
        On(JobSteps.Submit, _ => new SubmitToFalOutcome.Submitted(FalRef, 3, default, false, false));
    }

    public Mock<TaskOrchestrationContext> Context { get; }

    public DateTime Now { get; set; } = Start;

    /// <summary>
    /// The orchestration's version (empty: a version 1 job, started before versioning). These tests pin the frozen steps
    /// of version 2 (and 1); version 3's are driven by <see cref="StepHarness"/>.
    /// </summary>
    public string Version { get; set; } = "2";

    /// <summary>What a new timer does; by default it fires at once and moves the clock to its due time.</summary>
    public Func<DateTime, CancellationToken, Task> OnTimer { get; set; } = (_, _) => Task.CompletedTask;

    public IReadOnlyList<ActivityCall> Calls => _calls;

    public IReadOnlyList<EventWait> Waits => _waits;

    public IReadOnlyList<TimerCall> Timers => _timers;

    public IReadOnlyList<JobProgress> Statuses => _statuses;

    public IReadOnlyList<JobEvent> Events => [.. _calls.Where(c => c.Name == PublishJobEventActivity.Name).Select(c => (JobEvent)c.Input!)];

    public IReadOnlyList<string> EventTypes => [.. Events.Select(e => e.Type)];

    public IEnumerable<ActivityCall> CallsOf(string name) => _calls.Where(c => c.Name == name);

    /// <summary>Timers fire at once, moving the clock (the default).</summary>
    public void TimersFire() => OnTimer = (fireAt, _) =>
    {
        Now = fireAt > Now ? fireAt : Now;
        return Task.CompletedTask;
    };

    /// <summary>Timers never fire; a cancelled one ends cancelled, as the real context's do.</summary>
    public void TimersNeverFire() => OnTimer = (_, token) =>
    {
        var pending = new TaskCompletionSource();
        token.Register(() => pending.TrySetCanceled(token));
        return pending.Task;
    };

    /// <summary>The activity answers with <paramref name="handler"/>'s value (or throws what it throws, as a failed task).</summary>
    public void On(string activity, Func<object?, object?> handler) => _handlers[activity] = handler;

    /// <summary>The activity fails for good, as after its retries.</summary>
    public void Fails(string activity, string message) =>
        On(activity, _ => throw new TaskFailedException(
            activity, 7, new TaskFailureDetails("System.InvalidOperationException", message, null, null, null)));

    /// <summary>Answers successive calls of the activity in order (the last one repeats).</summary>
    public void OnSequence(string activity, params object?[] answers)
    {
        var next = 0;
        On(activity, _ => answers[Math.Min(next++, answers.Length - 1)]);
    }

    /// <summary>The next wait for <paramref name="eventName"/> gets this event (already raised: the task is complete).</summary>
    public void Raised<T>(string eventName, T payload) => Queue(eventName).Enqueue(Task.FromResult(payload));

    /// <summary>The next wait for <paramref name="eventName"/> gets the event the test raises later (through the source).</summary>
    public TaskCompletionSource<T> RaisedLater<T>(string eventName)
    {
        var later = new TaskCompletionSource<T>();
        Queue(eventName).Enqueue(later.Task);
        return later;
    }

    /// <summary>The next wait for <paramref name="eventName"/> gets nothing (an event that never comes).</summary>
    public void NeverRaised<T>(string eventName) => Queue(eventName).Enqueue(new TaskCompletionSource<T>().Task);

    /// <summary>
    /// Runs the orchestrator to its end. Every task the harness hands out is already complete or never completes, so
    /// the run finishes synchronously; one that has not finished is stuck on a wait nothing will end.
    /// </summary>
    public Task<VideoJobResult> RunAsync(VideoJob job)
    {
        var run = VideoJobOrchestrator.RunAsync(Context.Object, job);
        Assert.True(run.IsCompleted, "the orchestrator is stuck; "
            + $"activities: [{string.Join(", ", _calls.Select(c => c.Name))}], "
            + $"waits: [{string.Join(", ", _waits.Select(w => w.Name))}], "
            + $"timers: [{string.Join(", ", _timers.Select(t => t.FireAt.ToString("O")))}]");
        return run;
    }

    public static VideoJob HttpJob(VideoMode mode = VideoMode.ImageToVideo, VideoRequest? request = null, JobTimings? timings = null) =>
        new(
            "api-0123456789abcdef0123456789abcdef",
            mode,
            request ?? Request,
            JobSource.Http,
            "jobs/api-0123456789abcdef0123456789abcdef.mp4",
            timings ?? Timings,
            new DateTimeOffset(Start.AddSeconds(-1), TimeSpan.Zero));

    public static VideoJob InboxJob(VideoMode mode = VideoMode.ImageToVideo, JobTimings? timings = null) =>
        new(
            "inbox-0123456789abcdef0123456789abcdef",
            mode,
            null,
            new JobSource(JobSourceKind.Inbox, "inbox", "trips/photo.jpg", "0x8DC1"),
            "trips/photo.mp4",
            timings ?? Timings,
            new DateTimeOffset(Start.AddSeconds(-1), TimeSpan.Zero));

    public static FalCompletion Success(string requestId = FalRequestId, string url = "https://v3b.fal.media/files/b/octopus/output.mp4") =>
        new(requestId, true, url, "video/mp4", 1_843_211, 3141592653, null, null);

    public static StoredVideo Stored(string blob = "videos/jobs/api-0123456789abcdef0123456789abcdef.mp4") =>
        new(blob, "https://account.blob.core.windows.net/" + blob, "video/mp4", 1_843_211);

    /// <summary>What the store activity answers: the video, and whether it published "succeeded" itself.</summary>
    public static StoreVideoOutcome StoredOutcome(bool announced = false) =>
        new(Stored(), new DateTimeOffset(Start, TimeSpan.Zero), announced);

    /// <summary>
    /// The next call of <paramref name="step"/> (a version 3 step) is answered with <paramref name="answer"/>'s JSON, made
    /// from its question: a leftover answer of another step, say.
    /// </summary>
    public void AnswerNextWith(string step, Func<StepCall, object> answer) =>
        _rawAnswers.GetOrAdd(step, _ => new Queue<Func<StepCall, object>>()).Enqueue(answer);

    /// <summary>The step fails with <paramref name="failure"/> (answered, as a version 3 step answers its failures).</summary>
    public void StepFails(string step, StepFailure failure) => On(step, _ => throw new StepFailedException(failure));

    /// <summary>The inputs of a version 3 step's calls, read as <typeparamref name="T"/>.</summary>
    public IEnumerable<T> StepInputs<T>(string step) =>
        CallsOf(step).Select(c => ((StepCall)c.Input!).Input.Deserialize<T>(StepJson.Options)!);

    /// <summary>The events a version 3 job announced, in order.</summary>
    public IReadOnlyList<JobEvent> Announced => [.. StepInputs<JobAnnouncement>(JobSteps.Announce).Select(a => a.Event)];

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Queue<Func<StepCall, object>>> _rawAnswers = new();

    /// <summary>A step's failure, thrown by a handler and answered as the step's runner answers it.</summary>
    private sealed class StepFailedException(StepFailure failure) : Exception(failure.Message)
    {
        public StepFailure Failure { get; } = failure;
    }

    private void SetUpSteps() =>
        Context.Setup(c => c.CallActivityAsync<JsonElement>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns((TaskName name, object? input, TaskOptions? options) =>
            {
                _calls.Add(new ActivityCall(name.Name, input, options));
                var call = (StepCall)input!;
                if (_rawAnswers.TryGetValue(name.Name, out var raw) && raw.TryDequeue(out var answer))
                {
                    return Task.FromResult(StepJson.ToElement(answer(call)));
                }

                if (!_handlers.TryGetValue(name.Name, out var handler))
                {
                    return Task.FromException<JsonElement>(new InvalidOperationException($"the test set no answer for step {name.Name}"));
                }

                try
                {
                    return Task.FromResult(StepJson.ToElement(StepAnswer.Of(call.Question, handler(call))));
                }
                catch (TaskFailedException e)
                {
                    return Task.FromException<JsonElement>(e);
                }
                catch (Exception e)
                {
                    // As the step's runner answers a failure: with the question.
                    var failure = e is StepFailedException given ? given.Failure : StepFailure.From(e);
                    return Task.FromResult(StepJson.ToElement(StepAnswer.Failed(call.Question, failure)));
                }
            });

    private Queue<Task> Queue(string eventName)
    {
        if (!_events.TryGetValue(eventName, out var queue))
        {
            queue = new Queue<Task>();
            _events[eventName] = queue;
        }

        return queue;
    }

    private void SetUpEvent<T>() =>
        Context.Setup(c => c.WaitForExternalEvent<T>(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Returns((string name, CancellationToken token) =>
            {
                _waits.Add(new EventWait(name, token));
                return Queue(name).TryDequeue(out var next) ? (Task<T>)next : new TaskCompletionSource<T>().Task;
            });

    private void SetUpActivity<T>() =>
        Context.Setup(c => c.CallActivityAsync<T>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns((TaskName name, object? input, TaskOptions? options) =>
            {
                _calls.Add(new ActivityCall(name.Name, input, options));
                if (!_handlers.TryGetValue(name.Name, out var handler))
                {
                    return Task.FromException<T>(new InvalidOperationException($"the test set no answer for activity {name.Name}"));
                }

                try
                {
                    return Task.FromResult((T)handler(input)!);
                }
                catch (TaskFailedException e)
                {
                    return Task.FromException<T>(e);
                }
            });
}
