using System.Text.Json.Serialization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Costs;

/// <summary>The jobs holding a slot at fal, and since when (<c>jobs/usage/slots.json</c>).</summary>
public sealed class SlotHolders
{
    [JsonPropertyName("holders")]
    public Dictionary<string, DateTimeOffset> Holders { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// At most <see cref="CostOptions.MaxConcurrentJobs"/> jobs at fal at once, across every instance of the app: a job
/// takes a slot before it is submitted and gives it back once it has ended (stored, failed or cancelled). The holders
/// live in one document changed with optimistic concurrency; a job that finds no slot leaves a waiting entry
/// (<c>jobs/usage/waiting/{created ticks}-{job id}</c>, one blob each, so joining the queue contends with nothing), and
/// giving a slot back names the oldest waiting job, which the orchestration wakes with an event: waiting jobs do not
/// poll. Taking a slot again for the same job keeps the one it has; a slot or an entry older than
/// <see cref="CostOptions.SlotLease"/> (its job's host died for good) is dropped.
/// </summary>
public class ConcurrencySlots(PipelineStorage storage, IOptions<CostOptions> options, TimeProvider time)
{
    private const string WaitingPrefix = "usage/waiting/";

    public bool Enabled => options.Value.MaxConcurrentJobs is not null;

    /// <summary>
    /// True when the job holds a slot now (or no cap is set); false, with the job on the waiting list, when all are
    /// taken.
    /// </summary>
    public virtual async Task<bool> TryAcquireAsync(string jobId, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        if (options.Value.MaxConcurrentJobs is not { } max)
        {
            return true;
        }

        var now = time.GetUtcNow();
        var lease = options.Value.SlotLease;
        var acquired = await StoredDocument.UpdateAsync<SlotHolders, bool>(Holders, () => new SlotHolders(), slots =>
        {
            if (slots.Holders.ContainsKey(jobId))
            {
                return (true, false);
            }

            var stale = slots.Holders.Where(h => now - h.Value > lease).Select(h => h.Key).ToList();
            stale.ForEach(id => slots.Holders.Remove(id));
            if (slots.Holders.Count >= max)
            {
                return (false, stale.Count > 0);
            }

            slots.Holders[jobId] = now;
            return (true, true);
        }, cancellationToken);

        var entry = Waiting(jobId, createdAt);
        if (acquired)
        {
            await entry.DeleteIfExistsAsync(cancellationToken: cancellationToken);
        }
        else
        {
            await entry.UploadAsync(BinaryData.Empty, overwrite: true, cancellationToken);
        }

        return acquired;
    }

    /// <summary>Gives the job's slot back and takes it off the waiting list; returns the oldest waiting job to wake, if any.</summary>
    public virtual async Task<string?> ReleaseAsync(string jobId, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return null;
        }

        await StoredDocument.UpdateAsync<SlotHolders, bool>(
            Holders, () => new SlotHolders(), slots => (true, slots.Holders.Remove(jobId)), cancellationToken);
        await Waiting(jobId, createdAt).DeleteIfExistsAsync(cancellationToken: cancellationToken);
        var now = time.GetUtcNow();
        await foreach (var waiting in storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = WaitingPrefix }, cancellationToken))
        {
            if (waiting.Properties.LastModified is { } since && now - since > options.Value.SlotLease)
            {
                await storage.Jobs.DeleteBlobIfExistsAsync(waiting.Name, cancellationToken: cancellationToken);
                continue;
            }

            return waiting.Name[(waiting.Name.IndexOf('-', WaitingPrefix.Length) + 1)..];
        }

        return null;
    }

    private BlobClient Holders => storage.Jobs.GetBlobClient("usage/slots.json");

    private BlobClient Waiting(string jobId, DateTimeOffset createdAt) =>
        storage.Jobs.GetBlobClient($"{WaitingPrefix}{createdAt.UtcTicks:D19}-{jobId}");
}
