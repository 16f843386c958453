using System.Globalization;
using Microsoft.Extensions.Options;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Costs;

/// <summary>Why a job may not spend: the cap it would pass, with the numbers.</summary>
public sealed record BudgetRefusal(string Message);

/// <summary>
/// The day's estimated spend. Every job that goes to fal leaves one small entry, <c>jobs/usage/{day}/{job id}</c>
/// (its end user, seconds and estimate in metadata), which the usage API adds up; writing it contends with nothing.
/// When a daily cap is set, the day's totals also live in one document, <c>jobs/usage/{day}.json</c>, changed with
/// optimistic concurrency (<see cref="StoredDocument"/>) so that every instance of the app checks and reserves against
/// the same numbers: exact under a burst, at the price of retries that only capped apps pay. A job fal never
/// accepted gives its estimate back.
/// </summary>
public class UsageLedger(PipelineStorage storage, IOptions<CostOptions> options)
{
    public const string Anonymous = "anonymous";

    public static string DayOf(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private bool Capped => options.Value.DailyBudgetUsd is not null || options.Value.PerUserDailyBudgetUsd is not null;

    /// <summary>Reserves the job's estimate unless a cap would be passed; reserving again for the same job changes nothing.</summary>
    public virtual async Task<BudgetRefusal?> TryReserveAsync(string day, string jobId, string? endUserId, JobCost cost, CancellationToken cancellationToken)
    {
        var refusal = Capped ? await ReserveAgainstCapsAsync(day, jobId, endUserId, cost, cancellationToken) : null;
        if (refusal is null)
        {
            await Entry(day, jobId).UploadAsync(BinaryData.Empty, new Azure.Storage.Blobs.Models.BlobUploadOptions
            {
                Metadata = new Dictionary<string, string>
                {
                    ["end_user_id"] = Uri.EscapeDataString(endUserId ?? Anonymous),
                    ["video_seconds"] = cost.VideoSeconds.ToString(CultureInfo.InvariantCulture),
                    ["estimated_cost_usd"] = cost.EstimatedUsd.ToString(CultureInfo.InvariantCulture),
                },
            }, cancellationToken);
        }

        return refusal;
    }

    private Task<BudgetRefusal?> ReserveAgainstCapsAsync(string day, string jobId, string? endUserId, JobCost cost, CancellationToken cancellationToken) =>
        StoredDocument.UpdateAsync<DayUsage, BudgetRefusal?>(Blob(day), () => new DayUsage { Date = day }, usage =>
        {
            if (usage.Jobs.ContainsKey(jobId))
            {
                return (null, false);
            }

            var user = endUserId ?? Anonymous;
            if (Check(usage, user, cost, options.Value) is { } refusal)
            {
                return (refusal, false);
            }

            usage.Jobs[jobId] = new JobReservation(user, cost);
            usage.Total.Add(cost, 1);
            (usage.ByEndUser.TryGetValue(user, out var totals) ? totals : usage.ByEndUser[user] = new UsageTotals()).Add(cost, 1);
            return (null, true);
        }, cancellationToken);

    /// <summary>Gives a job's reservation back (fal never accepted the job).</summary>
    public virtual async Task ReleaseAsync(string day, string jobId, CancellationToken cancellationToken)
    {
        await Entry(day, jobId).DeleteIfExistsAsync(cancellationToken: cancellationToken);
        if (Capped)
        {
            await UnreserveAsync(day, jobId, cancellationToken);
        }
    }

    private Task<bool> UnreserveAsync(string day, string jobId, CancellationToken cancellationToken) =>
        StoredDocument.UpdateAsync<DayUsage, bool>(Blob(day), () => new DayUsage { Date = day }, usage =>
        {
            if (!usage.Jobs.Remove(jobId, out var reservation))
            {
                return (false, false);
            }

            usage.Total.Add(reservation.Cost, -1);
            if (usage.ByEndUser.TryGetValue(reservation.EndUser, out var totals))
            {
                totals.Add(reservation.Cost, -1);
            }

            return (true, true);
        }, cancellationToken);

    /// <summary>Whether a job of this cost would pass a cap now (the HTTP API refuses such a job up front).</summary>
    public virtual async Task<BudgetRefusal?> CheckAsync(string day, string? endUserId, JobCost cost, CancellationToken cancellationToken)
    {
        if (!Capped)
        {
            return null;
        }

        var (usage, _) = await StoredDocument.ReadAsync(Blob(day), () => new DayUsage { Date = day }, cancellationToken);
        return Check(usage, endUserId ?? Anonymous, cost, options.Value);
    }

    /// <summary>The day's jobs, seconds and estimated spend, in total and per end user, from the jobs' entries.</summary>
    public virtual async Task<DayUsage> ReadAsync(string day, CancellationToken cancellationToken)
    {
        var usage = new DayUsage { Date = day };
        await foreach (var entry in storage.Jobs.GetBlobsAsync(
                           new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = $"usage/{day}/", Traits = Azure.Storage.Blobs.Models.BlobTraits.Metadata }, cancellationToken))
        {
            var m = entry.Metadata;
            var cost = new JobCost(
                int.Parse(m["video_seconds"], CultureInfo.InvariantCulture),
                decimal.Parse(m["estimated_cost_usd"], CultureInfo.InvariantCulture));
            var user = Uri.UnescapeDataString(m["end_user_id"]);
            usage.Total.Add(cost, 1);
            (usage.ByEndUser.TryGetValue(user, out var totals) ? totals : usage.ByEndUser[user] = new UsageTotals()).Add(cost, 1);
        }

        return usage;
    }

    /// <summary>The cap a job of this cost would pass on top of the day's usage, or null.</summary>
    public static BudgetRefusal? Check(DayUsage usage, string user, JobCost cost, CostOptions o)
    {
        if (o.DailyBudgetUsd is { } daily && usage.Total.EstimatedUsd + cost.EstimatedUsd > daily)
        {
            return new BudgetRefusal($"the app's daily budget of ${daily} would be passed: ${usage.Total.EstimatedUsd} spent on {usage.Date} (UTC), this job is estimated at ${cost.EstimatedUsd}");
        }

        var spent = usage.ByEndUser.TryGetValue(user, out var totals) ? totals.EstimatedUsd : 0;
        if (o.PerUserDailyBudgetUsd is { } perUser && spent + cost.EstimatedUsd > perUser)
        {
            return new BudgetRefusal($"the daily budget of ${perUser} per end user would be passed for {user}: ${spent} spent on {usage.Date} (UTC), this job is estimated at ${cost.EstimatedUsd}");
        }

        return null;
    }

    private Azure.Storage.Blobs.BlobClient Blob(string day) => storage.Jobs.GetBlobClient($"usage/{day}.json");

    private Azure.Storage.Blobs.BlobClient Entry(string day, string jobId) => storage.Jobs.GetBlobClient($"usage/{day}/{jobId}");
}
