using Pipeline.Core.Batches;

namespace Pipeline.Core.Activities;

/// <summary>Records how a job of a batch ended (its manifest's results file follows); idempotent.</summary>
public sealed class RecordBatchEndActivity(BatchLedger batches) : IPipelineActivity<BatchJobEnd, bool>
{
    public const string Name = "RecordBatchEnd";

    public async Task<bool> RunAsync(BatchJobEnd input, CancellationToken cancellationToken)
    {
        await batches.RecordEndAsync(input, cancellationToken);
        return true;
    }
}
