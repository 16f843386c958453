namespace Pipeline.Bench;

/// <summary>Work paid by the pass: the reconciler's and the purge's.</summary>
public sealed partial class Benchmark
{
    /// <summary>
    /// What is paid by the pass rather than by the job: one reconciler pass and one purge pass over the task hub as it
    /// is (empty dequeues apart; the idle engine is measured on its own, <see cref="EngineIdleAsync"/>).
    /// </summary>
    private async Task FixedCostsAsync(WebApplication app, DurableTaskClient client)
    {
        await Task.Delay(TimeSpan.FromSeconds(3)); // past the start's own calls
        var before = _storage.Snapshot();
        await app.Services.GetRequiredService<Pipeline.Core.Housekeeping.JobReconciler>().RunAsync(client, CancellationToken.None);
        var reconcile = WithoutPolls(StorageLedger.Since(before, _storage.Snapshot()));
        _fixedCosts.Add(new Row(
            "reconciler pass", "storage transactions", $"{reconcile.Values.Sum()} ({Describe(reconcile)})", "every minute in Azure"));

        before = _storage.Snapshot();
        await app.Services.GetRequiredService<Pipeline.Core.Housekeeping.JobPurger>().RunAsync(client, CancellationToken.None);
        var purge = WithoutPolls(StorageLedger.Since(before, _storage.Snapshot()));
        _fixedCosts.Add(new Row("purge pass", "storage transactions", $"{purge.Values.Sum()} ({Describe(purge)})", "every hour in Azure"));
    }

    private static Dictionary<StorageCall, long> WithoutPolls(Dictionary<StorageCall, long> calls) =>
        calls.Where(c => !JobAccount.IsPoll(c.Key)).ToDictionary(c => c.Key, c => c.Value);

    private static string Describe(Dictionary<StorageCall, long> calls) =>
        string.Join(", ", calls.GroupBy(c => $"{c.Key.Source} {c.Key.Service}").Select(g => $"{g.Key} {g.Sum(c => c.Value)}"));
}
