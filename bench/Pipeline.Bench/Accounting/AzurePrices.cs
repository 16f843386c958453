namespace Pipeline.Bench.Accounting;

/// <summary>
/// List prices the cost model uses: East US, pay-as-you-go, USD, as the Azure Retail Prices API gave them in captures of
/// 2026-09-24 (Flex Consumption, Blob, Event Grid) and the Azure docs' examples; queue and table from other regions'
/// captures (the same meters elsewhere). fal's from its model page on 2026-11-26 (the README's Costs section). Check the
/// pricing pages before relying on them; they change.
/// </summary>
public static class AzurePrices
{
    public const string AsOf = "2026-09-24";

    /// <summary>Flex Consumption, on demand: per GB-second of an instance's memory while it executes anything.</summary>
    public const double FlexPerGbSecond = 0.000026;

    public const double FlexPerExecution = 0.40 / 1_000_000;

    /// <summary>Every active period of an instance is billed for at least this long (then in steps of 100 ms).</summary>
    public static readonly TimeSpan FlexMinimumPeriod = TimeSpan.FromSeconds(1);

    public const double FlexFreeGbSecondsPerMonth = 100_000;

    public const double FlexFreeExecutionsPerMonth = 250_000;

    /// <summary>infra/main.bicep's instanceMemoryMB (2,048 MB, Flex's default).</summary>
    public const double InstanceMemoryGb = 2.0;

    /// <summary>Blob, GPv2 hot LRS: writes (put blob/block/block list) and list/create-container per 10,000.</summary>
    public const double BlobWrite = 0.05 / 10_000;

    /// <summary>Blob reads and "all other" operations (properties, metadata, leases) per 10,000; deletes are free.</summary>
    public const double BlobRead = 0.004 / 10_000;

    public const double BlobCapacityPerGbMonth = 0.0208;

    /// <summary>Queue, GPv2: class 1 and class 2 operations cost the same.</summary>
    public const double QueueOperation = 0.004 / 10_000;

    /// <summary>Table: every transaction, an entity group transaction (batch) counting as one.</summary>
    public const double TableTransaction = 0.00036 / 10_000;

    /// <summary>Event Grid basic: each event published and each delivery attempt (per 64 KB).</summary>
    public const double EventGridOperation = 0.60 / 1_000_000;

    public const double EventGridFreePerMonth = 100_000;

    /// <summary>fal, Seedance 2.0 Fast, per second of video.</summary>
    public const double Fal720pPerSecond = 0.2419;

    public const double Fal480pPerSecond = 0.1076;

    /// <summary>What one storage transaction costs, by service and the operation's kind (see <see cref="StorageOperation"/>).</summary>
    public static double Of(StorageCall call) => call.Service switch
    {
        "blob" when call.Operation.StartsWith("delete", StringComparison.Ordinal) => 0,
        "blob" when call.Operation.StartsWith("write", StringComparison.Ordinal)
                    || call.Operation.StartsWith("list", StringComparison.Ordinal) => BlobWrite,
        "blob" => BlobRead,
        "queue" => QueueOperation,
        _ => TableTransaction,
    };
}
