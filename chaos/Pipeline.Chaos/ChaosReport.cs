using System.Globalization;
using System.Text;

namespace Pipeline.Chaos;

/// <summary>The run's figures and the audit's verdict, as a markdown table per scenario.</summary>
public sealed record ChaosReport(
    ChaosOptions Options, IReadOnlyList<ChaosJob> Jobs, AuditResult Audit, TimeSpan Duration, IReadOnlyList<TimeSpan> Restarts)
{
    public bool Passed => Audit.Violations.Count == 0;

    /// <summary>Host starts that exited before serving (during outages; each was started again).</summary>
    public int FailedStarts { get; init; }

    /// <summary>Per proxied dependency: requests forwarded and answered 503.</summary>
    public IReadOnlyDictionary<Dependency, (long Forwarded, long AnsweredUnavailable)> Traffic { get; init; } =
        new Dictionary<Dependency, (long, long)>();

    public string Table()
    {
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture,
                $"Chaos audit, seed {Options.Seed}: {Jobs.Count} jobs, {Options.Kills} SIGKILLs of the host "
                + $"(restart to ready: median {Median(Restarts):F1} s), {OutagesInBrief()}fal time × {Options.TimeScale}, "
                + $"{Duration.TotalSeconds:F0} s in all.")
            .AppendLine()
            .AppendLine("| scenario | jobs | succeeded | failed | fal requests | terminal events | violations |")
            .AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var group in Jobs.GroupBy(j => j.Scenario.Name).OrderBy(g => JobScenario.All.ToList().FindIndex(s => s.Name == g.Key)))
        {
            var ids = group.Select(j => j.Id!).ToHashSet();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {group.Key} | {group.Count()} | {group.Count(j => Status(j) == "succeeded")} | "
                + $"{group.Count(j => Status(j) == "failed")} | {ids.Sum(id => Audit.FalRequests.GetValueOrDefault(id))} | "
                + $"{group.Count()} | {Audit.Violations.Count(v => v.Scenario == group.Key)} |");
        }

        text.AppendLine(CultureInfo.InvariantCulture,
            $"| **all** | {Jobs.Count} | {Jobs.Count(j => Status(j) == "succeeded")} | {Jobs.Count(j => Status(j) == "failed")} | "
            + $"{Audit.FalRequests.Values.Sum()} | {Audit.TerminalEvents} | **{Audit.Violations.Count}** |");
        AppendOutages(text);
        if (Audit.InputsNotFetched > 0)
        {
            var count = Audit.InputsNotFetched.ToString(CultureInfo.InvariantCulture);
            text.AppendLine().AppendLine("Not counted above: " + count + " fal request(s) that fal ended with file_download_error "
                + "(it could not download the job's own inputs while storage was away; nothing was made), each submitted again by design.");
        }

        foreach (var violation in Audit.Violations)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- violation: {violation.JobId} ({violation.Scenario}): {violation.Problem}");
        }

        return text.ToString();
    }

    private string OutagesInBrief()
    {
        if (Options.Outages is not { Dependencies.Count: > 0 } outages)
        {
            return "";
        }

        if (outages.ForwardOnly)
        {
            return $"proxies in front of {string.Join(", ", outages.Dependencies.Select(d => d.Name()))} (no outage), ";
        }

        var exited = FailedStarts > 0 ? string.Create(CultureInfo.InvariantCulture, $"{FailedStarts} host starts that exited, ") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{outages.Dependencies.Count} outages of {outages.Length.TotalSeconds:F0} s ({outages.ModeName}), {exited}");
    }

    /// <summary>The traffic through the proxies, then each outage, the jobs in flight during it and their violations.</summary>
    private void AppendOutages(StringBuilder text)
    {
        if (Traffic.Count > 0)
        {
            var traffic = Traffic.Select(t => $"{t.Key.Name()} {t.Value.Forwarded} requests forwarded"
                + (t.Value.AnsweredUnavailable > 0 ? $", {t.Value.AnsweredUnavailable} answered 503" : ""));
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Through the proxies: {string.Join("; ", traffic)}.");
        }

        if (Audit.Outages.Count == 0)
        {
            return;
        }

        text.AppendLine()
            .AppendLine("Outages, one at a time (in flight: in before it ended, not ended before it began; "
                + "a job's violations count for each outage it met):")
            .AppendLine()
            .AppendLine("| outage | dependency | mode | start (s) | end (s) | jobs in flight | violations |")
            .AppendLine("| ---: | --- | --- | ---: | ---: | ---: | ---: |");
        foreach (var (window, inFlight, violations) in Audit.Outages)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {window.Number} | {window.Dependency.Name()} | {window.Mode.Name()} | {window.Start.TotalSeconds:F1} | "
                + $"{window.End.TotalSeconds:F1} | {inFlight.Count} | {violations} |");
        }

        text.AppendLine();
    }

    private static string? Status(ChaosJob job) => job.Status?["status"]?.GetValue<string>();

    private static double Median(IReadOnlyList<TimeSpan> values) =>
        values.Count == 0 ? 0 : values.OrderBy(v => v).ElementAt(values.Count / 2).TotalSeconds;
}
