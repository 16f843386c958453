namespace Pipeline.Chaos;

/// <summary>
/// An outage and the jobs it met: those in flight during it (in before it ended, not ended before it began), and how
/// many violations the audit found among them (a job's, its sidecar's or its usage entry's).
/// </summary>
public sealed record OutageExposure(OutageWindow Window, IReadOnlyList<ChaosJob> JobsInFlight, int Violations)
{
    /// <summary>The outages <paramref name="job"/> was in flight during.</summary>
    public static IEnumerable<OutageWindow> Met(ChaosJob job, IEnumerable<OutageWindow> windows, DateTimeOffset began) =>
        job.SentAt is { } sent ? windows.Where(w => w.Overlaps(sent, job.EndedAt - began)) : [];
}
