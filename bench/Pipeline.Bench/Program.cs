using System.Globalization;
using System.Text;
using System.Text.Json;
using Pipeline.Bench;

// The pipeline's benchmark (see README, Performance): prints a table and writes it as markdown and JSON.
var options = BenchOptions.Parse(args);
var benchmark = new Benchmark(options);
var started = DateTimeOffset.UtcNow;
await benchmark.RunAsync();

var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, "
    + $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
var table = new StringBuilder()
    .AppendLine(CultureInfo.InvariantCulture,
        $"Benchmark of {started:yyyy-MM-dd HH:mm} UTC on {machine}; {options.Jobs} jobs per scenario, "
        + $"emulated generation {8 * options.TimeScale:F1} s after {2 * options.TimeScale:F1} s in queue "
        + $"(fal's 8 s and 2 s × {options.TimeScale}), engine queue polling {options.QueuePollingInterval.TotalMilliseconds} ms.")
    .AppendLine()
    .AppendLine("| scenario | measure | value | target |")
    .AppendLine("| --- | --- | --- | --- |");
foreach (var row in benchmark.Rows)
{
    table.AppendLine(CultureInfo.InvariantCulture, $"| {row.Scenario} | {row.Measure} | {row.Value} | {row.Target} |");
}

table.AppendLine()
    .AppendLine("What one job cost, by scenario (storage transactions per job; see README, Performance):")
    .AppendLine()
    .Append(Pipeline.Bench.Accounting.AccountTables.Summary(benchmark.Accounts))
    .AppendLine()
    .AppendLine("Storage transactions per job, by operation:")
    .AppendLine()
    .Append(Pipeline.Bench.Accounting.AccountTables.ByOperation(benchmark.Accounts))
    .AppendLine()
    .AppendLine("Paid by the minute or the pass, not by the job:")
    .AppendLine()
    .AppendLine("| work | measure | value | note |")
    .AppendLine("| --- | --- | --- | --- |");
foreach (var row in benchmark.FixedCosts)
{
    table.AppendLine(CultureInfo.InvariantCulture, $"| {row.Scenario} | {row.Measure} | {row.Value} | {row.Target} |");
}

// A busy instance's CPU time per job: the largest burst's (after the cuts).
var burst = benchmark.Accounts
    .Where(a => a.Scenario.StartsWith("burst of", StringComparison.Ordinal) && !a.Scenario.Contains("before", StringComparison.Ordinal))
    .OrderByDescending(a => a.Jobs).FirstOrDefault();
var busyCpu = burst is null ? TimeSpan.Zero : burst.Time.ProcessCpu / burst.Jobs;
var costed = new[] { ("inbox image without a sidecar", true), ("webhook path", false) }
    .Select(s => (Account: benchmark.Accounts.FirstOrDefault(a => a.Scenario == s.Item1), Inbox: s.Item2))
    .Where(s => s.Account is not null)
    .Select(s => Pipeline.Bench.Accounting.CostModel.For(s.Account!, s.Inbox, busyCpu))
    .ToList();
if (costed.Count > 0)
{
    table.AppendLine().Append(Pipeline.Bench.Accounting.CostModel.Table(costed, benchmark.IdlePerMinute));
}

Console.WriteLine(table);
Directory.CreateDirectory(options.Output);
await File.WriteAllTextAsync(Path.Combine(options.Output, "latest.md"), table.ToString());
await File.WriteAllTextAsync(Path.Combine(options.Output, "latest.json"),
    JsonSerializer.Serialize(
        new
        {
            started,
            machine,
            options,
            rows = benchmark.Rows,
            accounts = benchmark.Accounts.Select(Pipeline.Bench.Accounting.AccountTables.Json),
            fixed_costs = benchmark.FixedCosts,
        },
        new JsonSerializerOptions { WriteIndented = true }));
