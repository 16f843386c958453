using System.Collections.Concurrent;
using Azure;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Core.Storage;
using Pipeline.Core.Submits;

namespace Pipeline.UnitTests.Activities;

/// <summary>The submit ledger's semantics (claim only if absent, answer only the claim) in memory, for unit tests.</summary>
public class InMemorySubmitLedger(TimeProvider time)
    : SubmitLedger(
        new PipelineStorage(new Azure.Storage.Blobs.BlobServiceClient("UseDevelopmentStorage=true")),
        time,
        NullLogger<SubmitLedger>.Instance)
{
    private readonly ConcurrentDictionary<(string, int), (SubmitRecord Record, ETag ETag)> _records = new();

    public IEnumerable<SubmitRecord> Records => _records.Values.Select(v => v.Record);

    public void Put(SubmitRecord record) => _records[(record.JobId, record.Attempt)] = (record, new ETag(Guid.NewGuid().ToString()));

    public override Task<SubmitClaim> ClaimAsync(SubmitRecord claim, CancellationToken cancellationToken)
    {
        var etag = new ETag(Guid.NewGuid().ToString());
        var stored = _records.GetOrAdd((claim.JobId, claim.Attempt), _ => (claim with { State = SubmitState.Sending }, etag));
        return Task.FromResult<SubmitClaim>(stored.ETag == etag ? new SubmitClaim.Granted(etag) : new SubmitClaim.Taken(stored.Record));
    }

    public override Task<SubmitRecord?> FindAsync(string jobId, int attempt, CancellationToken cancellationToken) =>
        Task.FromResult(_records.TryGetValue((jobId, attempt), out var found) ? found.Record : null);

    public override Task<IReadOnlyList<SubmitRecord>> ListAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<SubmitRecord>>([.. Records.Where(r => r.JobId == jobId).OrderBy(r => r.Attempt)]);

    /// <summary>Request ids fal's webhooks named, by job.</summary>
    public ConcurrentDictionary<string, List<string>> Deliveries { get; } = new();

    public override Task RecordDeliveryAsync(string jobId, string requestId, CancellationToken cancellationToken)
    {
        Deliveries.GetOrAdd(jobId, _ => []).Add(requestId);
        return Task.CompletedTask;
    }

    public override Task<IReadOnlyList<string>> DeliveredAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(Deliveries.TryGetValue(jobId, out var ids) ? [.. ids] : []);

    public override Task AdoptAsync(SubmitRecord claim, Pipeline.Core.Fal.FalRequestRef request, CancellationToken cancellationToken)
    {
        Put(claim with { State = SubmitState.Accepted, Request = request });
        return Task.CompletedTask;
    }

    public override Task AnswerAsync(SubmitRecord answered, ETag claim, CancellationToken cancellationToken)
    {
        var key = (answered.JobId, answered.Attempt);
        if (_records.TryGetValue(key, out var current) && current.ETag == claim)
        {
            _records[key] = (answered, new ETag(Guid.NewGuid().ToString()));
        }

        return Task.CompletedTask;
    }
}
