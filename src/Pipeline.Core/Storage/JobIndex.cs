using System.Globalization;
using Azure.Storage.Blobs.Models;
using Pipeline.Core.Jobs;

namespace Pipeline.Core.Storage;

/// <summary>One page of job ids, newest first, and the cursor of the next page (null on the last).</summary>
public sealed record JobIdPage(IReadOnlyList<string> Ids, string? NextCursor);

/// <summary>
/// The jobs in order of creation, newest first, for the listing: one empty blob per job in <c>jobs/index/</c>,
/// named by inverted creation ticks so that the storage's own name order is newest first and its continuation token
/// is the cursor. The durable backend is not asked: instance queries are not served by every backend the app runs on.
/// </summary>
public class JobIndex(PipelineStorage storage)
{
    public const int MaxPageSize = 100;

    private const string Prefix = "index/";

    public static string EntryName(VideoJob job) =>
        Prefix + (DateTimeOffset.MaxValue.UtcTicks - job.CreatedAt.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "-" + job.Id;

    public virtual async Task AddAsync(VideoJob job, CancellationToken cancellationToken)
    {
        var entry = storage.Jobs.GetBlobClient(EntryName(job));
        await entry.UploadAsync(BinaryData.Empty, new BlobUploadOptions
        {
            Metadata = job.Batch is { } batch
                ? new Dictionary<string, string>
                {
                    ["job_id"] = job.Id,
                    ["source"] = job.Source.Kind.ToString().ToLowerInvariant(),
                    ["batch_id"] = batch.Id,
                }
                : new Dictionary<string, string> { ["job_id"] = job.Id, ["source"] = job.Source.Kind.ToString().ToLowerInvariant() },
        }, cancellationToken);
    }

    public virtual async Task<JobIdPage> PageAsync(int pageSize, string? cursor, CancellationToken cancellationToken)
    {
        var size = Math.Clamp(pageSize, 1, MaxPageSize);
        var pages = storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = Prefix }, cancellationToken).AsPages(cursor, size);
        await foreach (var page in pages)
        {
            var ids = page.Values.Select(b => b.Name[(b.Name.IndexOf('-', Prefix.Length) + 1)..]).ToList();
            return new JobIdPage(ids, string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
        }

        return new JobIdPage([], null);
    }

    /// <summary>The entries of jobs created before <paramref name="cutoff"/>, oldest last (the order of the names).</summary>
    public virtual async IAsyncEnumerable<JobIndexEntry> CreatedBeforeAsync(
        DateTimeOffset cutoff, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var items = storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = Prefix, Traits = BlobTraits.Metadata }, cancellationToken);
        await foreach (var item in items)
        {
            var name = item.Name;
            var dash = name.IndexOf('-', Prefix.Length);
            if (dash < 0
                || !long.TryParse(
                    name.AsSpan(Prefix.Length, dash - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var inverted))
            {
                continue; // not an entry this app wrote
            }

            var createdAt = new DateTimeOffset(DateTimeOffset.MaxValue.UtcTicks - inverted, TimeSpan.Zero);
            if (createdAt < cutoff)
            {
                yield return new JobIndexEntry(
                    name,
                    name[(dash + 1)..],
                    createdAt,
                    item.Metadata is { } metadata && metadata.TryGetValue("batch_id", out var batch) ? batch : null);
            }
        }
    }

    public virtual async Task RemoveAsync(JobIndexEntry entry, CancellationToken cancellationToken) =>
        await storage.Jobs.DeleteBlobIfExistsAsync(entry.Name, cancellationToken: cancellationToken);
}

/// <summary>A job's place in the index: the entry's blob name, the job, its creation and its batch.</summary>
public sealed record JobIndexEntry(string Name, string JobId, DateTimeOffset CreatedAt, string? BatchId = null);
