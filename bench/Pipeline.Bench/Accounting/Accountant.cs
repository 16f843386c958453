using System.Diagnostics;
using FalEmulator.Recording;

namespace Pipeline.Bench.Accounting;

/// <summary>Marks the start of a scenario and turns what the counters saw since then into a <see cref="JobAccount"/>.</summary>
/// <param name="falCalls">The calls fal (the emulator) has answered so far.</param>
/// <param name="eventGridPosts">The publish calls the Event Grid sink has received so far.</param>
public sealed class Accountant(
    StorageLedger storage, SpanLedger spans, Func<string, int> episodes, Func<IReadOnlyList<RecordedCall>> falCalls, Func<long> eventGridPosts, int? azuritePid)
{
    public sealed record Mark(IReadOnlyDictionary<StorageCall, long> Storage, int FalCalls, long EventGridPosts, TimeSpan ProcessCpu, TimeSpan? AzuriteCpu, long Started);

    public Mark Begin() => new(storage.Snapshot(), falCalls().Count, eventGridPosts(), ProcessCpu(), AzuriteCpu(), Stopwatch.GetTimestamp());

    /// <param name="instances">The orchestrations the scenario started (a sidecar's own start among them).</param>
    /// <param name="videos">The jobs to share the cost among (default: one per instance).</param>
    public JobAccount End(Mark mark, string scenario, IReadOnlyCollection<string> instances, int? videos = null)
    {
        var ids = instances.ToHashSet();
        var calls = falCalls().Skip(mark.FalCalls).Where(c => c.Kind != CallKind.Control)
            .GroupBy(c => c.Kind).ToDictionary(g => g.Key, g => g.Count());
        return new JobAccount(
            scenario,
            videos ?? ids.Count,
            StorageLedger.Since(mark.Storage, storage.Snapshot()),
            (double)ids.Sum(episodes) / (videos ?? ids.Count),
            spans.For(ids),
            calls,
            eventGridPosts() - mark.EventGridPosts,
            ProcessCpu() - mark.ProcessCpu,
            AzuriteCpu() - mark.AzuriteCpu,
            Stopwatch.GetElapsedTime(mark.Started));
    }

    private static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>utime + stime of the storage emulator's process, from /proc (clock ticks of 10 ms).</summary>
    private TimeSpan? AzuriteCpu()
    {
        if (azuritePid is not { } pid || !File.Exists($"/proc/{pid}/stat"))
        {
            return null;
        }

        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }
}
