using Pipeline.Chaos;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Chaos;

/// <summary>
/// The chaos audit, smaller (<c>chaos/run.sh</c> runs 200 jobs and 20 kills): 30 jobs of every mode and source, the
/// host SIGKILLed 5 times at seeded random instants, the fal emulator in its own process; every job billed once, ended
/// once, with a video iff fal made one, and nothing held. The seed is random unless <c>CHAOS_SEED</c> says; it is in
/// the output, so a failing run can be replayed.
/// </summary>
[Collection(RunAlone.Name)]
public sealed class ChaosAuditTests : IAsyncLifetime
{
    // Its own Azurite: the host's inbox scan must see no other test's drops.
    private readonly AzuriteFixture _azurite = new();

    public ValueTask InitializeAsync() => _azurite.InitializeAsync();

    public ValueTask DisposeAsync() => _azurite.DisposeAsync();

    [Fact]
    public async Task ThirtyJobsAcrossFiveKills_EveryJobBilledOnceEndedOnceAndNothingHeld()
    {
        var seed = Environment.GetEnvironmentVariable("CHAOS_SEED") is { Length: > 0 } given ? int.Parse(given, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next(1, 100_000);
        var output = TestContext.Current.TestOutputHelper!;
        using var run = new ChaosRun(new ChaosOptions(Jobs: 30, Kills: 5, seed, TimeScale: 0.05, Timeout: TimeSpan.FromMinutes(8), _azurite.ConnectionString), output.WriteLine);

        var report = await run.RunAsync(TestContext.Current.CancellationToken);

        output.WriteLine(report.Table());
        Assert.True(report.Passed, report.Table());
        Assert.Equal(30, report.Audit.FalRequests.Count);
    }
}
