using System.Collections.Concurrent;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Costs;

/// <summary>
/// A burst under a concurrency cap, on the production durable backend: never more jobs at fal than the cap, each run once.
/// </summary>
[Collection(RunAlone.Name)]
public sealed class ConcurrencyCapTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Burst_WithAConcurrencyCapOf3_NeverHasMoreThan3AtFalAndRunsEveryJobOnce()
    {
        // On the production durable backend (the local host on its own Azurite): the in-memory test engine runs two
        // work items at a time, too few for a burst. The emulator runs up to 10 requests at once, so the cap is ours.
        await using var host = await LocalHostInProcess.StartAsync(
            "--Costs:MaxConcurrentJobs", "3",
            "--Costs:SlotRetryInterval", "00:00:02",
            "--Pipeline:JobDeadline", "00:05:00",
            "--LocalHost:EmulatorRunners", "10");
        var tag = Guid.NewGuid().ToString("N")[..8];
        var ids = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, 100),
            new ParallelOptions { MaxDegreeOfParallelism = 10, CancellationToken = Token },
            async (i, _) => ids.Add(await host.SubmitAsync(new { prompt = $"Burst {tag} {i}", resolution = "480p", duration = "4" })));

        foreach (var id in ids)
        {
            var job = await host.WaitForJobAsync(id, TimeSpan.FromMinutes(4));
            Assert.Equal("succeeded", job.Status);
        }

        var requests = host.Fal.Requests.All
            .Where(r => r.Input?.Prompt.StartsWith($"Burst {tag} ", StringComparison.Ordinal) == true)
            .ToList();
        Assert.Equal(100, requests.Count);
        Assert.Equal(100, requests.Select(r => r.Input!.Prompt).Distinct().Count());
        var edges = requests.SelectMany(r => new[] { (At: r.SubmittedAt, Delta: 1), (At: r.CompletedAt!.Value, Delta: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Delta);
        var atFal = 0;
        var most = 0;
        foreach (var edge in edges)
        {
            atFal += edge.Delta;
            most = Math.Max(most, atFal);
        }

        Assert.InRange(most, 1, 3);
        Assert.Contains(host.Logs.Lines, l => l.Contains("waiting_for_slot", StringComparison.Ordinal));
    }
}
