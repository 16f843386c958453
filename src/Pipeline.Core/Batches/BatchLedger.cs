using System.Globalization;
using System.Text;
using Azure;
using Azure.Storage.Blobs.Models;
using Pipeline.Core.Jobs;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Batches;

/// <summary>
/// The batches in the <c>jobs</c> container: <c>batches/{id}/batch.json</c> (the <see cref="BatchRecord"/>),
/// <c>batches/{id}/jobs/{job}</c> (one empty blob per job started, written before its orchestration) and
/// <c>batches/{id}/ended/{job}</c> (how it ended, in metadata). Counting needs only two listings, however large the
/// batch, and every write is idempotent, so activities may run it twice. A manifest's results file is rewritten from
/// those listings at every end, under the ETag it was read with, so that concurrent ends never lose a row.
/// </summary>
public partial class BatchLedger(PipelineStorage storage, TimeProvider time, ILogger<BatchLedger> logger)
{
    private const string Prefix = "batches/";

    /// <summary>
    /// How long this instance trusts that a batch's record exists once it wrote or found it. Safe while shorter than
    /// the jobs' retention: a record goes only with its batch's last job entry, and the job that made the entry here is
    /// younger than this.
    /// </summary>
    private static readonly TimeSpan KnownFor = TimeSpan.FromHours(1);

    private const int MaxKnown = 10_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _known = new(StringComparer.Ordinal);

    /// <summary>
    /// Writes the batch's record unless it exists: the first drop of a folder, a manifest's first processing. Each
    /// instance asks storage once an hour per batch, not once per job (the conditional write is a billed write that
    /// answers 409 for every drop after a folder's first).
    /// </summary>
    public virtual async Task EnsureAsync(BatchRecord record, CancellationToken cancellationToken)
    {
        if (_known.TryGetValue(record.Id, out var since) && time.GetUtcNow() - since < KnownFor)
        {
            return;
        }

        try
        {
            await storage.Jobs.GetBlobClient(RecordName(record.Id)).UploadAsync(BinaryData.FromObjectAsJson(record),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Written already: by an earlier delivery of the same drop, or by the folder's first drop.
        }

        if (_known.Count >= MaxKnown)
        {
            _known.Clear();
        }

        _known[record.Id] = time.GetUtcNow();
    }

    public virtual async Task<BatchRecord?> ReadAsync(string batchId, CancellationToken cancellationToken)
    {
        try
        {
            var download = await storage.Jobs.GetBlobClient(RecordName(batchId)).DownloadContentAsync(cancellationToken);
            return download.Value.Content.ToObjectFromJson<BatchRecord>();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Adds a job to its batch (before its orchestration is scheduled, like the listing's index).</summary>
    public virtual async Task AddJobAsync(VideoJob job, CancellationToken cancellationToken)
    {
        var batch = job.Batch ?? throw new ArgumentException("the job belongs to no batch", nameof(job));
        await EnsureAsync(new BatchRecord(batch.Id, batch.Kind, batch.Name, job.CreatedAt), cancellationToken);
        var metadata = new Dictionary<string, string>();
        Put(metadata, "row", batch.Row?.ToString(CultureInfo.InvariantCulture));
        Put(metadata, "variant", job.Variant?.Index.ToString(CultureInfo.InvariantCulture));
        await storage.Jobs.GetBlobClient(EntryName(batch.Id, "jobs", job.Id)).UploadAsync(BinaryData.Empty,
            new BlobUploadOptions { Metadata = metadata }, cancellationToken);
    }

    /// <summary>Records how a job ended; a manifest's results file follows.</summary>
    public virtual async Task RecordEndAsync(BatchJobEnd ended, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string> { ["status"] = ended.Status };
        Put(metadata, "row", ended.Batch.Row?.ToString(CultureInfo.InvariantCulture));
        Put(metadata, "variant", ended.Variant?.Index.ToString(CultureInfo.InvariantCulture));
        Put(metadata, "video", ended.Video);
        Put(metadata, "seed", ended.Seed?.ToString(CultureInfo.InvariantCulture));
        Put(metadata, "cost", ended.CostUsd?.ToString(CultureInfo.InvariantCulture));
        Put(metadata, "error", ended.ErrorCode);
        Put(metadata, "message", ended.ErrorMessage is { Length: > 300 } message ? message[..300] + "…" : ended.ErrorMessage);
        await storage.Jobs.GetBlobClient(EntryName(ended.Batch.Id, "ended", ended.JobId)).UploadAsync(BinaryData.Empty,
            new BlobUploadOptions { Metadata = metadata }, cancellationToken);
        if (ended.Batch.Kind == BatchKind.Manifest)
        {
            await WriteResultsAsync(ended.Batch.Id, cancellationToken);
        }
    }

    /// <summary>The batch's counts; null for a batch this app does not know.</summary>
    public virtual async Task<BatchProgress?> ProgressAsync(string batchId, string jobsUrl, CancellationToken cancellationToken)
    {
        if (!BatchIds.IsWellFormed(batchId) || await ReadAsync(batchId, cancellationToken) is not { } record)
        {
            return null;
        }

        var started = await ListAsync(batchId, "jobs", cancellationToken);
        var ended = await ListAsync(batchId, "ended", cancellationToken);
        int Count(string status) => ended.Count(e => Status(e.Value) == status);
        var superseded = ended.Where(e => Status(e.Value) == "superseded").Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var total = started.Keys.Count(id => !superseded.Contains(id)); // a job refused by a cap was never started
        var (succeeded, failed, cancelled) = (Count("succeeded"), Count("failed"), Count("cancelled"));
        var refused = Count("refused") + (record.RefusedRows?.Count ?? 0);
        var remaining = started.Keys.Count(id => !ended.ContainsKey(id));
        return new BatchProgress(
            Id: record.Id,
            Kind: record.Kind,
            Name: record.Name,
            CreatedAt: record.CreatedAt,
            Total: total,
            Succeeded: succeeded,
            Failed: failed,
            Cancelled: cancelled)
        {
            Remaining = remaining,
            Refused = refused,
            Results = record.Results is null ? null : $"{PipelineStorage.VideosContainerName}/{record.Results}",
            JobsUrl = jobsUrl,
        };
    }

    /// <summary>A page of the batch's job ids (in the order of their ids), and the cursor of the next.</summary>
    public virtual async Task<JobIdPage> JobsAsync(string batchId, int pageSize, string? cursor, CancellationToken cancellationToken)
    {
        var prefix = $"{Prefix}{batchId}/jobs/";
        var pages = storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken)
            .AsPages(cursor, Math.Clamp(pageSize, 1, JobIndex.MaxPageSize));
        await foreach (var page in pages)
        {
            return new JobIdPage(
                [.. page.Values.Select(b => b.Name[prefix.Length..])],
                string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
        }

        return new JobIdPage([], null);
    }

    /// <summary>Removes a purged job from its batch, and the batch's record once no job is left in it.</summary>
    public virtual async Task ForgetJobAsync(string batchId, string jobId, CancellationToken cancellationToken)
    {
        await storage.Jobs.DeleteBlobIfExistsAsync(EntryName(batchId, "ended", jobId), cancellationToken: cancellationToken);
        await storage.Jobs.DeleteBlobIfExistsAsync(EntryName(batchId, "jobs", jobId), cancellationToken: cancellationToken);
        await foreach (var _ in storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{Prefix}{batchId}/jobs/" }, cancellationToken))
        {
            return;
        }

        _known.TryRemove(batchId, out _);
        await storage.Jobs.DeleteBlobIfExistsAsync(RecordName(batchId), cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Rewrites a manifest's results file (row, variant, job id, status, video, seed, cost, error) from the batch's
    /// listings. Written under the ETag read before the listings: a writer whose listings may have missed another
    /// job's end loses the race and lists again.
    /// </summary>
    public virtual async Task WriteResultsAsync(string batchId, CancellationToken cancellationToken)
    {
        if (await ReadAsync(batchId, cancellationToken) is not { Results: { } name } record)
        {
            return;
        }

        var blob = storage.Videos.GetBlobClient(name);
        for (var attempt = 1; ; attempt++)
        {
            var before = await ETagOfAsync(blob, cancellationToken);
            var csv = ResultsCsv(
                record, await ListAsync(batchId, "jobs", cancellationToken), await ListAsync(batchId, "ended", cancellationToken));
            try
            {
                await blob.UploadAsync(BinaryData.FromString(csv), new BlobUploadOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = "text/csv; charset=utf-8" },
                    Conditions = before is { } etag
                        ? new BlobRequestConditions { IfMatch = etag }
                        : new BlobRequestConditions { IfNoneMatch = ETag.All },
                }, cancellationToken);
                return;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < 20)
            {
                LogResultsRace(batchId, attempt);
            }
        }
    }

    public const string ResultsHeader = "row,variant,job_id,status,video,seed,cost_usd,error";

    private static string ResultsCsv(
        BatchRecord record, Dictionary<string, IDictionary<string, string>> started, Dictionary<string, IDictionary<string, string>> ended)
    {
        var lines = new List<(int Row, int Variant, string Line)>();
        foreach (var jobId in started.Keys.Union(ended.Keys, StringComparer.Ordinal)) // a job refused by a cap has only its end
        {
            var end = ended.GetValueOrDefault(jobId);
            var entry = started.GetValueOrDefault(jobId) ?? end!;
            var row = Int(entry, "row");
            var variant = Int(entry, "variant");
            var status = end is null ? "pending" : Status(end);
            lines.Add((row, variant, Csv(
                row.ToString(CultureInfo.InvariantCulture),
                variant == 0 ? "" : variant.ToString(CultureInfo.InvariantCulture),
                jobId,
                status,
                Get(end, "video"),
                Get(end, "seed"),
                Get(end, "cost"),
                Error(end))));
        }

        foreach (var refused in record.RefusedRows ?? [])
        {
            var why = string.Join("; ", refused.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")));
            lines.Add((refused.Row, 0, Csv(
                refused.Row.ToString(CultureInfo.InvariantCulture), "", "", "refused", "", "", "0", "invalid_request: " + why)));
        }

        var text = new StringBuilder(ResultsHeader).Append("\r\n");
        foreach (var (_, _, line) in lines.OrderBy(l => l.Row).ThenBy(l => l.Variant))
        {
            text.Append(line).Append("\r\n");
        }

        return text.ToString();
    }

    private static string Error(IDictionary<string, string>? end) =>
        Get(end, "error") is { Length: > 0 } code ? (Get(end, "message") is { Length: > 0 } message ? $"{code}: {message}" : code) : "";

    private static string Csv(params string[] fields) =>
        string.Join(',', fields.Select(f => f.IndexOfAny([',', '"', '\r', '\n']) >= 0
            ? $"\"{f.Replace("\"", "\"\"", StringComparison.Ordinal)}\""
            : f));

    private async Task<Dictionary<string, IDictionary<string, string>>> ListAsync(
        string batchId, string part, CancellationToken cancellationToken)
    {
        var prefix = $"{Prefix}{batchId}/{part}/";
        var entries = new Dictionary<string, IDictionary<string, string>>(StringComparer.Ordinal);
        var items = storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix, Traits = BlobTraits.Metadata }, cancellationToken);
        await foreach (var item in items)
        {
            entries[item.Name[prefix.Length..]] = item.Metadata ?? new Dictionary<string, string>();
        }

        return entries;
    }

    private static async Task<ETag?> ETagOfAsync(Azure.Storage.Blobs.BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            return (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ETag;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    private static string Status(IDictionary<string, string> end) => end.TryGetValue("status", out var s) ? s : "";

    private static int Int(IDictionary<string, string> entry, string key) =>
        entry.TryGetValue(key, out var value) && int.TryParse(value, CultureInfo.InvariantCulture, out var n) ? n : 0;

    // Metadata is ASCII: names and messages are kept percent-encoded.
    private static string Get(IDictionary<string, string>? entry, string key) =>
        entry is not null && entry.TryGetValue(key, out var value) ? Uri.UnescapeDataString(value) : "";

    private static void Put(Dictionary<string, string> metadata, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            metadata[key] = Uri.EscapeDataString(value);
        }
    }

    private static string RecordName(string batchId) => $"{Prefix}{batchId}/batch.json";

    private static string EntryName(string batchId, string part, string jobId) => $"{Prefix}{batchId}/{part}/{jobId}";

    [LoggerMessage(Level = LogLevel.Debug,
        Message = "Batch {BatchId}: results file changed while it was written (attempt {Attempt}); writing it again")]
    private partial void LogResultsRace(string batchId, int attempt);
}
