using System.Globalization;
using Microsoft.Extensions.Options;
using Pipeline.Core.Storage;
using Pipeline.Core.Jobs;

namespace Pipeline.Core.Costs;

/// <summary>Why a job may not spend: the cap it would pass, with the numbers.</summary>
public sealed record BudgetRefusal(string Message);

/// <summary>
/// The day's estimated spend. Every job that goes to fal leaves one small entry, <c>jobs/usage/{day}/{job id}</c>
/// (its end user, seconds and estimate in metadata), which the usage API adds up; writing it contends with nothing.
/// When a daily cap is set, the day's totals also live in one document, <c>jobs/usage/{day}.json</c>, changed with
/// optimistic concurrency (<see cref="StoredDocument"/>) so that every instance of the app checks and reserves against
/// the same numbers: exact under a burst, at the price of retries that only capped apps pay. The entries are written
/// whether or not a cap is set, and each process merges the day's entries into the document before its first capped
/// reservation of the day, so a cap set (or changed, which restarts the app) mid-day counts what was spent before it.
/// A job fal never accepted gives its estimate back.
/// </summary>
public class UsageLedger(PipelineStorage storage, IOptions<CostOptions> options)
{
    /// <summary>The day whose entries this process has merged into the capped document.</summary>
    private string? _mergedDay;

    public const string Anonymous = "anonymous";

    public static string DayOf(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private bool Capped => options.Value.DailyBudgetUsd is not null || options.Value.PerUserDailyBudgetUsd is not null;

    /// <summary>Reserves the job's estimate unless a cap would be passed; reserving again for the same job changes nothing.</summary>
    public virtual async Task<BudgetRefusal?> TryReserveAsync(
        string day, string jobId, string? endUserId, JobCost cost, CancellationToken cancellationToken)
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

    private async Task<BudgetRefusal?> ReserveAgainstCapsAsync(
        string day, string jobId, string? endUserId, JobCost cost, CancellationToken cancellationToken)
    {
        var spentBefore = await UnmergedEntriesAsync(day, cancellationToken);
        var refusal = await StoredDocument.UpdateAsync<DayUsage, BudgetRefusal?>(Blob(day), () => new DayUsage { Date = day }, usage =>
        {
            var merged = Merge(usage, spentBefore);
            if (usage.Jobs.ContainsKey(jobId))
            {
                return (null, merged);
            }

            var user = endUserId ?? Anonymous;
            if (Check(usage, user, cost, options.Value) is { } refusal)
            {
                return (refusal, merged);
            }

            Add(usage, jobId, new JobReservation(user, cost));
            return (null, true);
        }, cancellationToken);
        _mergedDay = day;
        return refusal;
    }

    /// <summary>The day's entries, once per process and day (null after): jobs that may predate the cap.</summary>
    private async Task<List<(string JobId, JobReservation Reservation)>?> UnmergedEntriesAsync(
        string day, CancellationToken cancellationToken)
    {
        if (_mergedDay == day)
        {
            return null;
        }

        var entries = new List<(string, JobReservation)>();
        await foreach (var entry in EntriesAsync(day, cancellationToken))
        {
            entries.Add(entry);
        }

        return entries;
    }

    /// <summary>Counts the entries the document does not hold yet; true when it changed.</summary>
    private static bool Merge(DayUsage usage, List<(string JobId, JobReservation Reservation)>? entries)
    {
        var changed = false;
        foreach (var (jobId, reservation) in entries ?? [])
        {
            if (!usage.Jobs.ContainsKey(jobId))
            {
                Add(usage, jobId, reservation);
                changed = true;
            }
        }

        return changed;
    }

    private static void Add(DayUsage usage, string jobId, JobReservation reservation)
    {
        usage.Jobs[jobId] = reservation;
        usage.Total.Add(reservation.Cost, 1);
        (usage.ByEndUser.TryGetValue(reservation.EndUser, out var totals)
            ? totals
            : usage.ByEndUser[reservation.EndUser] = new UsageTotals()).Add(reservation.Cost, 1);
    }

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

    /// <summary>The day's jobs, seconds and estimated spend, in total and per end user, from the jobs' entries.</summary>
    public virtual async Task<DayUsage> ReadAsync(string day, CancellationToken cancellationToken)
    {
        var usage = new DayUsage { Date = day };
        await foreach (var (_, reservation) in EntriesAsync(day, cancellationToken))
        {
            usage.Total.Add(reservation.Cost, 1);
            (usage.ByEndUser.TryGetValue(reservation.EndUser, out var totals)
                ? totals
                : usage.ByEndUser[reservation.EndUser] = new UsageTotals()).Add(reservation.Cost, 1);
        }

        return usage;
    }

    /// <summary>The days that have usage kept (entries or totals), whatever their age.</summary>
    public virtual async Task<IReadOnlyList<string>> DaysAsync(CancellationToken cancellationToken)
    {
        var days = new SortedSet<string>(StringComparer.Ordinal);
        var items = storage.Jobs.GetBlobsByHierarchyAsync(
            Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "/", "usage/", cancellationToken);
        await foreach (var item in items)
        {
            var name = (item.IsPrefix ? item.Prefix : item.Blob.Name)["usage/".Length..].TrimEnd('/');
            name = name.EndsWith(".json", StringComparison.Ordinal) ? name[..^5] : name;
            if (DateOnly.TryParseExact(name, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                days.Add(name); // not slots.json nor waiting/: those are live
            }
        }

        return [.. days];
    }

    /// <summary>Deletes a day's entries and totals: only for a day past the usage retention.</summary>
    public virtual async Task ForgetDayAsync(string day, CancellationToken cancellationToken)
    {
        var listing = new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = $"usage/{day}/" };
        await foreach (var entry in storage.Jobs.GetBlobsAsync(listing, cancellationToken))
        {
            await storage.Jobs.DeleteBlobIfExistsAsync(entry.Name, cancellationToken: cancellationToken);
        }

        await Blob(day).DeleteIfExistsAsync(cancellationToken: cancellationToken);
    }

    private async IAsyncEnumerable<(string JobId, JobReservation Reservation)> EntriesAsync(
        string day, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var prefix = $"usage/{day}/";
        var listing = new Azure.Storage.Blobs.Models.GetBlobsOptions
        {
            Prefix = prefix,
            Traits = Azure.Storage.Blobs.Models.BlobTraits.Metadata,
        };
        await foreach (var entry in storage.Jobs.GetBlobsAsync(listing, cancellationToken))
        {
            var m = entry.Metadata;
            var cost = new JobCost(
                int.Parse(m["video_seconds"], CultureInfo.InvariantCulture),
                decimal.Parse(m["estimated_cost_usd"], CultureInfo.InvariantCulture));
            yield return (entry.Name[prefix.Length..], new JobReservation(Uri.UnescapeDataString(m["end_user_id"]), cost));
        }
    }

    /// <summary>The cap a job of this cost would pass on top of the day's usage, or null.</summary>
    public static BudgetRefusal? Check(DayUsage usage, string user, JobCost cost, CostOptions o)
    {
        if (o.DailyBudgetUsd is { } daily && usage.Total.EstimatedUsd + cost.EstimatedUsd > daily)
        {
            return new BudgetRefusal(
                $"the app's daily budget of ${daily} would be passed: ${usage.Total.EstimatedUsd} spent on {usage.Date} (UTC), "
                + $"this job is estimated at ${cost.EstimatedUsd}");
        }

        var spent = usage.ByEndUser.TryGetValue(user, out var totals) ? totals.EstimatedUsd : 0;
        if (o.PerUserDailyBudgetUsd is { } perUser && spent + cost.EstimatedUsd > perUser)
        {
            return new BudgetRefusal(
                $"the daily budget of ${perUser} per end user would be passed for {user}: ${spent} spent on {usage.Date} (UTC), "
                + $"this job is estimated at ${cost.EstimatedUsd}");
        }

        return null;
    }

    private Azure.Storage.Blobs.BlobClient Blob(string day) => storage.Jobs.GetBlobClient($"usage/{day}.json");

    private Azure.Storage.Blobs.BlobClient Entry(string day, string jobId) => storage.Jobs.GetBlobClient($"usage/{day}/{jobId}");
}
