using Pipeline.Core.Costs;

namespace Pipeline.Core.Activities;

/// <summary>
/// Settles a job that ends without a stored video (failed, cancelled): gives its concurrency slot back or takes it off
/// the waiting list, gives its spending reservation back when fal never had the job, and closes it
/// (<see cref="JobAdmission.SettleAsync"/>); returns the job to wake, if one waits for a slot.
/// </summary>
public sealed class ReleaseJobSlotActivity(JobAdmission admission) : IPipelineActivity<JobSlot, string?>
{
    public const string Name = "ReleaseJobSlot";

    public Task<string?> RunAsync(JobSlot input, CancellationToken cancellationToken) =>
        admission.SettleAsync(input.JobId, input.CreatedAt, input.ReachedFal, cancellationToken);
}

/// <summary>A job's place with the concurrency slots: its id, and its creation, which orders the waiting list.</summary>
/// <param name="ReachedFal">Whether any submit of the job may have reached fal (null from version 1: assumed so).</param>
public sealed record JobSlot(string JobId, DateTimeOffset CreatedAt, bool? ReachedFal = null);
