using Pipeline.Core.Requests;
using Pipeline.Core.Storage;
using Pipeline.Core.Submits;
using Pipeline.Core.Jobs;

namespace Pipeline.Core.Costs;

/// <summary>Whether a job may go to fal now: its estimate, the cap it would pass, or whether it must wait for a slot.</summary>
public sealed record Admission(JobCost Cost, BudgetRefusal? Refusal, bool HasSlot);

/// <summary>
/// What a job passes before it is submitted: it takes a concurrency slot (a job that must wait costs one small read
/// each time it looks), then its estimate is reserved against the daily caps and counted in the day's usage, once.
/// Both are given back when the budget refuses it or fal never accepted the job, and when the job is settled.
/// </summary>
public class JobAdmission(PriceTable prices, UsageLedger ledger, ConcurrencySlots slots, SubmitLedger submits, OpenJobs open)
{
    /// <summary>Whether a job admitted holds a slot it must give back (a concurrency cap is set).</summary>
    public virtual bool LimitsConcurrency => slots.Enabled;

    /// <param name="createdAt">The job's creation: it is counted on that UTC day, however long it waits for a slot.</param>
    public virtual async Task<Admission> AdmitAsync(
        string jobId, DateTimeOffset createdAt, VideoMode mode, VideoRequest request, CancellationToken cancellationToken)
    {
        var cost = prices.Estimate(mode, request);
        if (!await slots.TryAcquireAsync(jobId, createdAt, cancellationToken))
        {
            return new Admission(cost, null, false);
        }

        if (await ledger.TryReserveAsync(UsageLedger.DayOf(createdAt), jobId, request.EndUserId, cost, cancellationToken) is { } refusal)
        {
            await slots.ReleaseAsync(jobId, createdAt, cancellationToken);
            return new Admission(cost, refusal, false);
        }

        return new Admission(cost, null, true);
    }

    /// <summary>
    /// Settles a job that has ended (or whose orchestration ended without it): gives its concurrency slot back (or takes
    /// it off the waiting list), gives its reservation back when fal never had it — the orchestration says so
    /// (<paramref name="reachedFal"/> false) and no submit record says otherwise; null, from a version-1 job, keeps
    /// it — and closes it. Idempotent. Returns the job waiting longest for a slot, to wake.
    /// </summary>
    public virtual async Task<string?> SettleAsync(
        string jobId, DateTimeOffset createdAt, bool? reachedFal, CancellationToken cancellationToken)
    {
        var wake = await slots.ReleaseAsync(jobId, createdAt, cancellationToken);
        if (reachedFal == false && !(await submits.ListAsync(jobId, cancellationToken)).Any(r => r.MayBeAtFal))
        {
            await ledger.ReleaseAsync(UsageLedger.DayOf(createdAt), jobId, cancellationToken);
        }

        await open.CloseAsync(jobId, cancellationToken);
        return wake;
    }

    /// <summary>Gives back what the job took: fal refused it, so nothing was spent.</summary>
    public virtual async Task RefundAsync(string jobId, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        await slots.ReleaseAsync(jobId, createdAt, cancellationToken);
        await ledger.ReleaseAsync(UsageLedger.DayOf(createdAt), jobId, cancellationToken);
    }
}
