using Azure.Core;
using Azure.Core.Pipeline;

namespace Pipeline.Bench.Accounting;

/// <summary>
/// Counts every HTTP request a storage client sends and gets an answer to, retries included (the policy sits per
/// retry): each is one billable storage transaction. The benchmark gives one to the pipeline's blob client and one to
/// each of the durable engine's clients, so each call is counted once, by who made it.
/// </summary>
public sealed class StorageCallCounter(StorageLedger ledger, string source, string service) : HttpPipelinePolicy
{
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ProcessNext(message, pipeline);
        Record(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        Record(message);
    }

    private void Record(HttpMessage message)
    {
        if (message.HasResponse)
        {
            ledger.Add(new StorageCall(source, service, StorageOperation.Of(service, message)));
        }
    }
}
