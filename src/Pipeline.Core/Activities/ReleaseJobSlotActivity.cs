using Pipeline.Core.Costs;

namespace Pipeline.Core.Activities;

/// <summary>
/// Gives a job's concurrency slot back when it ends without a stored video (failed, cancelled), or takes it off the
/// waiting list; returns the job to wake, if one waits.
/// </summary>
public sealed class ReleaseJobSlotActivity(ConcurrencySlots slots) : IPipelineActivity<JobSlot, string?>
{
    public const string Name = "ReleaseJobSlot";

    public Task<string?> RunAsync(JobSlot input, CancellationToken cancellationToken) => slots.ReleaseAsync(input.JobId, input.CreatedAt, cancellationToken);
}

/// <summary>A job's place with the concurrency slots: its id, and its creation, which orders the waiting list.</summary>
public sealed record JobSlot(string JobId, DateTimeOffset CreatedAt);
