using System.Diagnostics;
using Azure;
using Azure.Storage.Blobs.Models;
using Pipeline.Core.Batches;
using Pipeline.Core.Storage;

namespace Pipeline.Bench.Baseline;

/// <summary>
/// The batch ledger as it worked before #20's cuts, while <see cref="BeforeCuts.On"/>: the batch's record is written
/// (a conditional write, 409 after a folder's first drop) for every job, and the store step does not record a success,
/// so the orchestration takes its own step for it, as it did. Refusing inside the store step costs no storage call.
/// Off, it is the ledger itself.
/// </summary>
public sealed class BaselineBatchLedger : BatchLedger
{
    private readonly PipelineStorage _storage;

    public BaselineBatchLedger(PipelineStorage storage, TimeProvider time, ILogger<BatchLedger> logger)
        : base(storage, time, logger) => _storage = storage;

    public override async Task EnsureAsync(BatchRecord record, CancellationToken cancellationToken)
    {
        if (!BeforeCuts.On)
        {
            await base.EnsureAsync(record, cancellationToken);
            return;
        }

        try
        {
            await _storage.Jobs.GetBlobClient($"batches/{record.Id}/batch.json").UploadAsync(BinaryData.FromObjectAsJson(record),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
        }
    }

    public override Task RecordEndAsync(BatchJobEnd ended, CancellationToken cancellationToken) =>
        BeforeCuts.On && InStoreStep()
            ? throw new RequestFailedException(503, "baseline: the store step leaves the batch to the orchestration")
            : base.RecordEndAsync(ended, cancellationToken);

    private static bool InStoreStep()
    {
        for (var span = Activity.Current; span is not null; span = span.Parent)
        {
            if (span.OperationName.EndsWith("StoreVideo", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
