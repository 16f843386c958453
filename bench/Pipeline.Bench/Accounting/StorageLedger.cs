using System.Collections.Concurrent;

namespace Pipeline.Bench.Accounting;

/// <summary>Every storage transaction counted so far, by source, service and operation; snapshots subtract.</summary>
public sealed class StorageLedger
{
    private readonly ConcurrentDictionary<StorageCall, long> _counts = new();

    public void Add(StorageCall call) => _counts.AddOrUpdate(call, 1, (_, n) => n + 1);

    public IReadOnlyDictionary<StorageCall, long> Snapshot() => new Dictionary<StorageCall, long>(_counts);

    public static Dictionary<StorageCall, long> Since(
        IReadOnlyDictionary<StorageCall, long> before, IReadOnlyDictionary<StorageCall, long> now) =>
        now.Select(kv => (kv.Key, Count: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(kv => kv.Count > 0)
            .ToDictionary(kv => kv.Key, kv => kv.Count);
}
