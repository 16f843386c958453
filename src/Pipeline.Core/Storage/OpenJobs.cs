using System.Globalization;
using Azure.Storage.Blobs.Models;

namespace Pipeline.Core.Storage;

/// <summary>A job that was accepted and has not been settled yet: its id and its creation.</summary>
public sealed record OpenJob(string JobId, DateTimeOffset CreatedAt, DateTimeOffset Since);

/// <summary>
/// Every accepted job until it is settled (<c>jobs/open/{job id}</c>, one empty blob each, its creation in metadata):
/// written before its orchestration is scheduled, deleted when the job has given back what it held (its concurrency
/// slot, its reservation when fal never had it). What is left here belongs to a job whose orchestration ended without
/// settling — failed, terminated, or never scheduled — and <see cref="Housekeeping.JobReconciler"/> settles it.
/// </summary>
public class OpenJobs(PipelineStorage storage)
{
    private const string Prefix = "open/";

    /// <summary>
    /// Opens the job unless it is open already: the claim that lets exactly one of several requests for the same job id
    /// (a repeated idempotency key, a redelivered blob event) start it. False when another holds it.
    /// </summary>
    /// <param name="fingerprint">What the request asked for (<see cref="Requests.RequestFingerprint"/>), for the others to compare.</param>
    public virtual async Task<bool> TryAddAsync(
        string jobId, DateTimeOffset createdAt, string? fingerprint, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string> { ["created_at"] = createdAt.UtcTicks.ToString(CultureInfo.InvariantCulture) };
        if (fingerprint is not null)
        {
            metadata["fingerprint"] = fingerprint;
        }

        try
        {
            await storage.Jobs.GetBlobClient(Prefix + jobId).UploadAsync(BinaryData.Empty, new BlobUploadOptions
            {
                Metadata = metadata,
                Conditions = new BlobRequestConditions { IfNoneMatch = Azure.ETag.All },
            }, cancellationToken);
            return true;
        }
        catch (Azure.RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    /// <summary>The fingerprint the open job was started with, or null (none, or no longer open).</summary>
    public virtual async Task<string?> FingerprintOfAsync(string jobId, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await storage.Jobs.GetBlobClient(Prefix + jobId).GetPropertiesAsync(cancellationToken: cancellationToken);
            return properties.Value.Metadata.TryGetValue("fingerprint", out var fingerprint) ? fingerprint : null;
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public virtual async Task<bool> IsOpenAsync(string jobId, CancellationToken cancellationToken) =>
        await storage.Jobs.GetBlobClient(Prefix + jobId).ExistsAsync(cancellationToken);

    public virtual async Task CloseAsync(string jobId, CancellationToken cancellationToken) =>
        await storage.Jobs.DeleteBlobIfExistsAsync(Prefix + jobId, cancellationToken: cancellationToken);

    public virtual async IAsyncEnumerable<OpenJob> ListAsync(
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var items = storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = Prefix, Traits = BlobTraits.Metadata }, cancellationToken);
        await foreach (var item in items)
        {
            var created = item.Metadata.TryGetValue("created_at", out var ticks)
                && long.TryParse(ticks, NumberStyles.None, CultureInfo.InvariantCulture, out var t)
                ? new DateTimeOffset(t, TimeSpan.Zero)
                : item.Properties.CreatedOn ?? DateTimeOffset.MinValue;
            yield return new OpenJob(item.Name[Prefix.Length..], created, item.Properties.LastModified ?? created);
        }
    }
}
