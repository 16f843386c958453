using System.Globalization;
using Azure.Storage.Blobs.Models;

namespace Pipeline.Core.Storage;

/// <summary>A job that was accepted and has not been settled yet: its id and its creation.</summary>
public sealed record OpenJob(string JobId, DateTimeOffset CreatedAt, DateTimeOffset Since);

/// <summary>
/// Every accepted job until it is settled (<c>jobs/open/{job id}</c>, one empty blob each, its creation in metadata):
/// written before its orchestration is scheduled, deleted when the job has given back what it held (its concurrency
/// slot, its reservation when fal never had it). What is left here belongs to a job whose orchestration ended without
/// settling — failed, terminated, or never scheduled — and <see cref="Api.JobReconciler"/> settles it.
/// </summary>
public class OpenJobs(PipelineStorage storage)
{
    private const string Prefix = "open/";

    public virtual async Task AddAsync(string jobId, DateTimeOffset createdAt, CancellationToken cancellationToken) =>
        await storage.Jobs.GetBlobClient(Prefix + jobId).UploadAsync(BinaryData.Empty, new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { ["created_at"] = createdAt.UtcTicks.ToString(CultureInfo.InvariantCulture) },
        }, cancellationToken);

    public virtual async Task CloseAsync(string jobId, CancellationToken cancellationToken) =>
        await storage.Jobs.DeleteBlobIfExistsAsync(Prefix + jobId, cancellationToken: cancellationToken);

    public virtual async IAsyncEnumerable<OpenJob> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = Prefix, Traits = BlobTraits.Metadata }, cancellationToken))
        {
            var created = item.Metadata.TryGetValue("created_at", out var ticks) && long.TryParse(ticks, NumberStyles.None, CultureInfo.InvariantCulture, out var t)
                ? new DateTimeOffset(t, TimeSpan.Zero)
                : item.Properties.CreatedOn ?? DateTimeOffset.MinValue;
            yield return new OpenJob(item.Name[Prefix.Length..], created, item.Properties.LastModified ?? created);
        }
    }
}
