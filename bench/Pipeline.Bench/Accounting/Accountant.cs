using System.Diagnostics;
using FalEmulator.Recording;

namespace Pipeline.Bench.Accounting;

/// <summary>Marks the start of a scenario and turns what the counters saw since then into a <see cref="JobAccount"/>.</summary>
/// <param name="falCalls">The calls fal (the emulator) has answered so far.</param>
/// <param name="eventGridPosts">The publish calls the Event Grid sink has received so far.</param>
/// <param name="azuritePid">The storage emulator's process, whose CPU time is read from /proc.</param>
/// <param name="falPid">The fal emulator's process, likewise.</param>
public sealed class Accountant(
    StorageLedger storage,
    SpanLedger spans,
    Func<string, int> episodes,
    Func<Task<IReadOnlyList<RecordedCall>>> falCalls,
    Func<long> eventGridPosts,
    int? azuritePid,
    int? falPid)
{
    public sealed record Mark(
        IReadOnlyDictionary<StorageCall, long> Storage,
        int FalCalls,
        long EventGridPosts,
        TimeSpan ProcessCpu,
        TimeSpan? AzuriteCpu,
        TimeSpan? FalCpu,
        long Started);

    public async Task<Mark> BeginAsync() => new(
        storage.Snapshot(), (await falCalls()).Count, eventGridPosts(), ProcessCpu(), CpuOf(azuritePid), CpuOf(falPid),
        Stopwatch.GetTimestamp());

    /// <param name="instances">The orchestrations the scenario started (a sidecar's own start among them).</param>
    /// <param name="videos">The jobs to share the cost among (default: one per instance).</param>
    public async Task<JobAccount> EndAsync(Mark mark, string scenario, IReadOnlyCollection<string> instances, int? videos = null)
    {
        var ids = instances.ToHashSet();
        var calls = (await falCalls()).Skip(mark.FalCalls).Where(c => c.Kind != CallKind.Control)
            .GroupBy(c => c.Kind).ToDictionary(g => g.Key, g => g.Count());
        return new JobAccount(
            scenario,
            videos ?? ids.Count,
            StorageLedger.Since(mark.Storage, storage.Snapshot()),
            (double)ids.Sum(episodes) / (videos ?? ids.Count),
            spans.For(ids),
            calls,
            eventGridPosts() - mark.EventGridPosts,
            new TimeTaken(
                Stopwatch.GetElapsedTime(mark.Started),
                ProcessCpu() - mark.ProcessCpu,
                CpuOf(azuritePid) - mark.AzuriteCpu,
                CpuOf(falPid) - mark.FalCpu));
    }

    private static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>utime + stime of a process, from /proc (clock ticks of 10 ms).</summary>
    private static TimeSpan? CpuOf(int? process)
    {
        if (process is not { } pid || !File.Exists($"/proc/{pid}/stat"))
        {
            return null;
        }

        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
                    + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }
}
