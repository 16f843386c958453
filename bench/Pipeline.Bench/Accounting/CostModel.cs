using System.Globalization;
using System.Text;

namespace Pipeline.Bench.Accounting;

/// <summary>
/// The Azure cost of 1,000 videos from one scenario's accounting, at <see cref="AzurePrices"/>, beside fal's price, and
/// what a day costs at 10,000 and 100,000 videos. Flex time is given as two bounds: at most, every execution billed as
/// an active period of its own at the 1 s minimum (true while each runs under a second, as measured: overlapping
/// executions only share periods); at least, the CPU time a job took in the largest burst (an instance kept busy is
/// billed no less than the time its work takes).
/// </summary>
public static class CostModel
{
    /// <summary>What the README assumes a video weighs (an H.264 720p clip of 5 s at about 8 Mbit/s); not measured.</summary>
    public const double VideoMegabytes = 5;

    /// <summary>What is billed by the unit: how many units, and what they cost in USD.</summary>
    public sealed record Billed(double Count, double Dollars);

    /// <param name="Executions">Flex executions: how many, and their price.</param>
    /// <param name="EventGrid">Event Grid operations: how many, and their price.</param>
    public sealed record PerThousand(
        string Scenario, double Storage, Billed Executions, double MostGbSeconds, double LeastGbSeconds, Billed EventGrid,
        double CapacityPerMonth)
    {
        public double AtMost => Storage + Executions.Dollars + MostGbSeconds * AzurePrices.FlexPerGbSecond + EventGrid.Dollars;

        public double AtLeast => Storage + Executions.Dollars + LeastGbSeconds * AzurePrices.FlexPerGbSecond + EventGrid.Dollars;
    }

    /// <param name="inbox">
    /// Whether the job starts from a blob (its BlobCreated event is published and delivered; its trigger is an execution).
    /// </param>
    /// <param name="busyCpuPerJob">The CPU time a job took when many ran at once (the largest burst).</param>
    public static PerThousand For(JobAccount a, bool inbox, TimeSpan busyCpuPerJob)
    {
        const int n = 1000;
        var storage = n * a.Storage.Where(c => !JobAccount.IsPoll(c.Key)).Sum(c => c.Value * AzurePrices.Of(c.Key)) / a.Jobs;
        var executions = 1 + a.Episodes + a.Activities + a.Webhooks; // the trigger: the API request or the blob's event
        var sparse = executions * AzurePrices.FlexMinimumPeriod.TotalSeconds * AzurePrices.InstanceMemoryGb;
        var busy = busyCpuPerJob.TotalSeconds * AzurePrices.InstanceMemoryGb;
        var eventGridOps = 2 * a.PerJob(a.EventGridPosts) + (inbox ? 2 : 0); // each event published and delivered once
        return new PerThousand(
            a.Scenario,
            storage,
            new Billed(n * executions, n * executions * AzurePrices.FlexPerExecution),
            n * sparse,
            n * busy,
            new Billed(n * eventGridOps, n * eventGridOps * AzurePrices.EventGridOperation),
            n * VideoMegabytes / 1024 * AzurePrices.BlobCapacityPerGbMonth);
    }

    public static string Table(IEnumerable<PerThousand> models, IReadOnlyDictionary<StorageCall, long> idlePerMinute)
    {
        var fal720 = 1000 * 5 * AzurePrices.Fal720pPerSecond;
        var fal480 = 1000 * 5 * AzurePrices.Fal480pPerSecond;
        var idleHour = 60 * idlePerMinute.Sum(c => c.Value * AzurePrices.Of(c.Key));
        var table = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture,
                $"Azure cost of 1,000 videos at East US list prices of {AzurePrices.AsOf} (USD; free grants left out), "
                + $"beside fal's for the same 1,000 five-second videos: ${fal480:N0} at 480p, ${fal720:N0} at 720p.")
            .AppendLine()
            .AppendLine("| job | storage transactions | Flex executions | Flex GB-s, at most (1 s each) | Flex GB-s, at least (CPU time) "
                + "| Event Grid | Azure, at most / at least | capacity of the videos, per month kept |")
            .AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var m in models)
        {
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {m.Scenario} | ${m.Storage:F4} | ${m.Executions.Dollars:F4} ({m.Executions.Count:N0}) "
                + $"| ${m.MostGbSeconds * AzurePrices.FlexPerGbSecond:F3} ({m.MostGbSeconds:N0} GB-s) "
                + $"| ${m.LeastGbSeconds * AzurePrices.FlexPerGbSecond:F4} ({m.LeastGbSeconds:N0} GB-s) "
                + $"| ${m.EventGrid.Dollars:F4} ({m.EventGrid.Count:N0} operations) | ${m.AtMost:F3} / ${m.AtLeast:F3} "
                + $"| ${m.CapacityPerMonth:F3} ({VideoMegabytes} MB a video) |");
        }

        table.AppendLine()
            .AppendLine(CultureInfo.InvariantCulture,
                $"An instance that is up pays its engine's idle polling and lease renewals besides: ${idleHour:F4} an hour "
                + $"({idlePerMinute.Values.Sum()} transactions a minute).")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture,
                $"| videos a day ({models.First().Scenario}) | executions a second | Azure a day, at most / at least | of which Flex time "
                + $"| videos' capacity, per month kept | fal a day at 480p / 720p | Azure's share, at most |")
            .AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        var first = models.First();
        foreach (var perDay in new[] { 10_000, 100_000 })
        {
            var k = perDay / 1000.0;
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {perDay:N0} | {k * first.Executions.Count / 86_400:F1} | ${k * first.AtMost:N2} / ${k * first.AtLeast:N2} "
                + $"| ${k * first.MostGbSeconds * AzurePrices.FlexPerGbSecond:N2} "
                + $"/ ${k * first.LeastGbSeconds * AzurePrices.FlexPerGbSecond:N2} "
                + $"| ${k * first.CapacityPerMonth:N2} | ${k * fal480:N0} / ${k * fal720:N0} "
                + $"| {100 * k * first.AtMost / (k * fal480):F3} % |");
        }

        return table.ToString();
    }
}
