using Pipeline.Core.Costs;
using Pipeline.Core.Jobs;

namespace Pipeline.UnitTests.Costs;

public sealed class BudgetCheckTests
{
    private static readonly JobCost Job = new(4, 0.5m);

    private static DayUsage Spent(decimal total, string user = "u1", decimal byUser = 0)
    {
        var usage = new DayUsage { Date = "2026-11-26" };
        usage.Total.EstimatedUsd = total;
        usage.ByEndUser[user] = new UsageTotals { EstimatedUsd = byUser };
        return usage;
    }

    [Fact]
    public void Check_NoCaps_AllowsAnything()
    {
        Assert.Null(UsageLedger.Check(Spent(1_000_000m), "u1", Job, new CostOptions()));
    }

    [Theory]
    [InlineData(9.5, null)] // exactly at the cap is allowed
    [InlineData(9.51, "daily budget of $10")]
    public void Check_DailyCap_RefusesAJobThatWouldPassIt(double spent, string? refusal)
    {
        var result = UsageLedger.Check(Spent((decimal)spent), "u1", Job, new CostOptions { DailyBudgetUsd = 10m });

        if (refusal is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.Contains(refusal, result!.Message, StringComparison.Ordinal);
            Assert.Contains("2026-11-26", result.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Check_PerUserCap_CountsOnlyThatUsersSpend()
    {
        var options = new CostOptions { PerUserDailyBudgetUsd = 1m };
        var usage = Spent(50m, "heavy", 0.9m);

        Assert.Contains("heavy", UsageLedger.Check(usage, "heavy", Job, options)!.Message, StringComparison.Ordinal);
        Assert.Null(UsageLedger.Check(usage, "light", Job, options));
    }
}
