using System.Globalization;
using System.Text;

namespace Pipeline.Chaos;

/// <summary>The run's figures and the audit's verdict, as a markdown table per scenario.</summary>
public sealed record ChaosReport(ChaosOptions Options, IReadOnlyList<ChaosJob> Jobs, AuditResult Audit, TimeSpan Duration, IReadOnlyList<TimeSpan> Restarts)
{
    public bool Passed => Audit.Violations.Count == 0;

    public string Table()
    {
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture,
                $"Chaos audit, seed {Options.Seed}: {Jobs.Count} jobs, {Options.Kills} SIGKILLs of the host (restart to ready: median {Median(Restarts):F1} s), fal time × {Options.TimeScale}, {Duration.TotalSeconds:F0} s in all.")
            .AppendLine()
            .AppendLine("| scenario | jobs | succeeded | failed | fal requests | terminal events | violations |")
            .AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var group in Jobs.GroupBy(j => j.Scenario.Name).OrderBy(g => JobScenario.All.ToList().FindIndex(s => s.Name == g.Key)))
        {
            var ids = group.Select(j => j.Id!).ToHashSet();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {group.Key} | {group.Count()} | {group.Count(j => Status(j) == "succeeded")} | {group.Count(j => Status(j) == "failed")} | "
                + $"{ids.Sum(id => Audit.FalRequests.GetValueOrDefault(id))} | {group.Count()} | {Audit.Violations.Count(v => v.Scenario == group.Key)} |");
        }

        text.AppendLine(CultureInfo.InvariantCulture,
            $"| **all** | {Jobs.Count} | {Jobs.Count(j => Status(j) == "succeeded")} | {Jobs.Count(j => Status(j) == "failed")} | {Audit.FalRequests.Values.Sum()} | {Audit.TerminalEvents} | **{Audit.Violations.Count}** |");
        foreach (var violation in Audit.Violations)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- violation: {violation.JobId} ({violation.Scenario}): {violation.Problem}");
        }

        return text.ToString();
    }

    private static string? Status(ChaosJob job) => job.Status?["status"]?.GetValue<string>();

    private static double Median(IReadOnlyList<TimeSpan> values) =>
        values.Count == 0 ? 0 : values.OrderBy(v => v).ElementAt(values.Count / 2).TotalSeconds;
}
