using System.Globalization;
using System.Text;
using FalEmulator.Recording;

namespace Pipeline.Bench.Accounting;

/// <summary>The accounting as markdown: a job's work by source per scenario, then its storage transactions by operation.</summary>
public static class AccountTables
{
    public static string Summary(IReadOnlyList<JobAccount> accounts)
    {
        var table = new StringBuilder()
            .AppendLine("| scenario | jobs | pipeline blob | engine queue | engine table | engine blob | engine empty polls | episodes "
                + "| activities | webhooks | activity + webhook run time | fal calls | Event Grid posts | CPU, pipeline | CPU, Azurite "
                + "| CPU, fal emulator |")
            .AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var a in accounts)
        {
            var falCalls = string.Join(" + ", a.FalCalls.OrderBy(c => c.Key).Select(c => $"{a.PerJob(c.Value):0.##} {Name(c.Key)}"));
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {a.Scenario} | {a.Jobs} | {a.StorageWhere(c => c is { Source: "pipeline", Service: "blob" }):F1} "
                + $"| {a.StorageWhere(c => c is { Source: "engine", Service: "queue" } && !JobAccount.IsPoll(c)):F1} "
                + $"| {a.StorageWhere(c => c is { Source: "engine", Service: "table" }):F1} "
                + $"| {a.StorageWhere(c => c is { Source: "engine", Service: "blob" }):F1} | {a.StorageWhere(JobAccount.IsPoll):F1} "
                + $"| {a.Episodes:F1} | {a.Activities:F1} | {a.Webhooks:F1} | {a.ExecutionTime.TotalMilliseconds:F0} ms | {falCalls} "
                + $"| {a.PerJob(a.EventGridPosts):F1} "
                + $"| {Cpu(a.Time.ProcessCpu, a)} | {Cpu(a.Time.AzuriteCpu, a)} | {Cpu(a.Time.FalCpu, a)} |");
        }

        return table.ToString();
    }

    private static string Cpu(TimeSpan? cpu, JobAccount a) => cpu is { } t ? $"{t.TotalMilliseconds / a.Jobs:F0} ms" : "n/a";

    /// <summary>
    /// Storage transactions per job by (source, service, operation, resource), one column per scenario; empty dequeues left out.
    /// </summary>
    public static string ByOperation(IReadOnlyList<JobAccount> accounts)
    {
        var operations = accounts.SelectMany(a => a.Storage.Keys).Where(c => !JobAccount.IsPoll(c)).Distinct()
            .OrderBy(c => c.Source).ThenBy(c => c.Service).ThenBy(c => c.Operation, StringComparer.Ordinal).ToList();
        var table = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture,
                $"| source | service | operation | {string.Join(" | ", accounts.Select(a => a.Scenario))} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| --- | --- | --- | {string.Join(" | ", accounts.Select(_ => "---"))} |");
        foreach (var op in operations)
        {
            var cells = accounts.Select(
                a => a.Storage.TryGetValue(op, out var n) ? a.PerJob(n).ToString("0.##", CultureInfo.InvariantCulture) : "");
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {op.Source} | {op.Service} | {op.Operation} | {string.Join(" | ", cells)} |");
        }

        var totals = accounts.Select(a => a.StorageWhere(c => !JobAccount.IsPoll(c)).ToString("F1", CultureInfo.InvariantCulture));
        return table.AppendLine(CultureInfo.InvariantCulture, $"| all | | (empty dequeues apart) | {string.Join(" | ", totals)} |")
            .ToString();
    }

    /// <summary>For the JSON file: each account with its storage counts as a list.</summary>
    public static object Json(JobAccount a) => new
    {
        scenario = a.Scenario,
        jobs = a.Jobs,
        storage = a.Storage.Select(
            kv => new { source = kv.Key.Source, service = kv.Key.Service, operation = kv.Key.Operation, count = kv.Value }),
        episodes_per_job = a.Episodes,
        executions = a.Executions.Select(
            kv => new { name = kv.Key, count = kv.Value.Count, milliseconds = kv.Value.Duration.TotalMilliseconds }),
        fal_calls = a.FalCalls.ToDictionary(kv => Name(kv.Key), kv => kv.Value),
        event_grid_posts = a.EventGridPosts,
        cpu_ms = a.Time.ProcessCpu.TotalMilliseconds,
        azurite_cpu_ms = a.Time.AzuriteCpu?.TotalMilliseconds,
        fal_emulator_cpu_ms = a.Time.FalCpu?.TotalMilliseconds,
        wall_ms = a.Time.Wall.TotalMilliseconds,
    };

    private static string Name(CallKind kind) => kind.ToString().ToLowerInvariant();
}
