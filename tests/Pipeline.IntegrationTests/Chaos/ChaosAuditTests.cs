using Pipeline.Chaos;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Chaos;

/// <summary>
/// The chaos audit, smaller (<c>chaos/run.sh</c> runs 200 jobs, 20 kills and a 5-minute outage of each dependency):
/// 30 jobs of every mode and source sent over a minute and a half, the host SIGKILLed 5 times at seeded random
/// instants, and fal, fal's file host, Event Grid and storage each taken away in turn for 15 s (refusing connections,
/// then answering 503, alternately); every job billed once, ended once as its scenario must (none failed by an
/// outage), every event delivered, a video iff fal made one, and nothing held. The seed is random unless
/// <c>CHAOS_SEED</c> says; it is in the output, so a failing run can be replayed.
/// </summary>
[Collection(RunAlone.Name)]
public sealed class ChaosAuditTests : IAsyncLifetime
{
    // Its own Azurite: the host's inbox scan must see no other test's drops.
    private readonly AzuriteFixture _azurite = new();

    public ValueTask InitializeAsync() => _azurite.InitializeAsync();

    public ValueTask DisposeAsync() => _azurite.DisposeAsync();

    [Fact]
    public async Task ThirtyJobsAcrossFiveKillsAndAnOutageOfEachDependency_EveryJobBilledOnceEndedOnceAndNothingHeld()
    {
        var seed = Environment.GetEnvironmentVariable("CHAOS_SEED") is { Length: > 0 } given
            ? int.Parse(given, System.Globalization.CultureInfo.InvariantCulture)
            : Random.Shared.Next(1, 100_000);
        var output = TestContext.Current.TestOutputHelper!;
        var outages = new OutageOptions(
            [Dependency.Fal, Dependency.Files, Dependency.EventGrid, Dependency.Storage],
            TimeSpan.FromSeconds(15),
            [OutageMode.Refuse, OutageMode.ServiceUnavailable]);
        using var run = new ChaosRun(
            new ChaosOptions(
                Jobs: 30,
                Kills: 5,
                seed,
                TimeScale: 0.05,
                Timeout: TimeSpan.FromMinutes(12),
                _azurite.ConnectionString,
                outages,
                SendOver: TimeSpan.FromSeconds(90)),
            output.WriteLine);

        var report = await run.RunAsync(TestContext.Current.CancellationToken);

        output.WriteLine(report.Table());
        Assert.True(report.Passed, report.Table());
        Assert.Equal(30, report.Audit.FalRequests.Count);
    }
}
