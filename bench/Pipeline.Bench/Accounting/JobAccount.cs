using FalEmulator.Recording;

namespace Pipeline.Bench.Accounting;

/// <summary>
/// What a scenario's jobs cost, per job: storage transactions by source, service and operation; orchestrator episodes;
/// function executions (activities, webhooks) and their run time; HTTP calls to fal and to Event Grid; CPU time of
/// this process (the pipeline, with the benchmark's Event Grid sink), of the storage emulator and of the fal emulator,
/// beside the wall clock (<see cref="TimeTaken"/>).
/// </summary>
public sealed record JobAccount(
    string Scenario,
    int Jobs,
    IReadOnlyDictionary<StorageCall, long> Storage,
    double Episodes,
    IReadOnlyDictionary<string, (int Count, TimeSpan Duration)> Executions,
    IReadOnlyDictionary<CallKind, int> FalCalls,
    long EventGridPosts,
    TimeTaken Time)
{
    public double PerJob(long total) => (double)total / Jobs;

    public double StorageWhere(Func<StorageCall, bool> predicate) => PerJob(Storage.Where(kv => predicate(kv.Key)).Sum(kv => kv.Value));

    /// <summary>Empty dequeues: the engine polling its queues, paid by the minute rather than by the job.</summary>
    public static bool IsPoll(StorageCall call) => call.Operation.StartsWith("get messages (empty)", StringComparison.Ordinal);

    public double Activities =>
        PerJob(Executions.Where(e => e.Key.StartsWith("activity:", StringComparison.Ordinal)).Sum(e => e.Value.Count));

    public double Webhooks => PerJob(Executions.Where(e => e.Key == "fal.webhook").Sum(e => e.Value.Count));

    /// <summary>Executions' run time per job: activities and webhooks (the episodes' is in the CPU time).</summary>
    public TimeSpan ExecutionTime => TimeSpan.FromTicks(Executions.Values.Sum(e => e.Duration.Ticks) / Jobs);
}
