using System.Collections.Concurrent;
using System.Diagnostics;

namespace Pipeline.Bench.Accounting;

/// <summary>
/// Durable's activity spans and the webhook's span, by job: how many function executions a job costs beyond its
/// orchestrator episodes, and how long they ran (what Flex bills as execution time, at most, when none overlap).
/// </summary>
public sealed class SpanLedger : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<(string JobId, string Name, DateTimeOffset Start, TimeSpan Duration)> _spans = new();

    public SpanLedger()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Microsoft.DurableTask" or "VideoPipeline",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Record,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    private void Record(Activity span)
    {
        var name = span.OperationName;
        var execution = (span.Source.Name == "Microsoft.DurableTask" && span.Kind == ActivityKind.Server
                         && name.StartsWith("activity:", StringComparison.Ordinal))
                        || name == "fal.webhook";
        if (execution && (span.GetTagItem("durabletask.task.instance_id") ?? span.GetTagItem("job.id")) is string job)
        {
            _spans.Enqueue((job, name, new DateTimeOffset(span.StartTimeUtc, TimeSpan.Zero), span.Duration));
        }
    }

    /// <summary>The executions of these jobs, by name, with their total duration.</summary>
    public Dictionary<string, (int Count, TimeSpan Duration)> For(IReadOnlySet<string> jobs) =>
        _spans.Where(s => jobs.Contains(s.JobId))
            .GroupBy(s => s.Name)
            .ToDictionary(g => g.Key, g => (g.Count(), TimeSpan.FromTicks(g.Sum(s => s.Duration.Ticks))));

    /// <summary>
    /// The first execution of that name (Durable's spans add the version: <c>activity:StoreVideo@(2)</c>) for a job: when it
    /// started and how long it ran.
    /// </summary>
    public (DateTimeOffset Start, TimeSpan Duration)? First(string jobId, string name) =>
        _spans.Where(s => s.JobId == jobId && (s.Name == name || s.Name.StartsWith(name + "@", StringComparison.Ordinal)))
            .OrderBy(s => s.Start)
            .Select(s => ((DateTimeOffset, TimeSpan)?)(s.Start, s.Duration))
            .FirstOrDefault();

    public void Dispose() => _listener.Dispose();
}
