using Pipeline.Core.Jobs;

namespace Pipeline.LocalHost.Console;

/// <summary>
/// How the console words a running job's progress: its stage, with fal's queue position or the step it tries again.
/// The host's reporter and a one-shot that waits for another host's job say it alike.
/// </summary>
public static class JobProgressLine
{
    /// <example><c>queued_at_fal (fal queue position 2)</c>, <c>submitting (submit failed 2 time(s): 503; trying again)</c></example>
    public static string Of(string? stage, int? queuePosition, JobRetry? retrying) => (stage, queuePosition, retrying) switch
    {
        (null, _, _) => "starting",
        (_, { } position, _) => $"{stage} (fal queue position {position})",
        (_, _, { } retry) => $"{stage} ({retry.Step} failed {retry.Attempts} time(s): {retry.LastError}; trying again)",
        _ => stage,
    };
}
