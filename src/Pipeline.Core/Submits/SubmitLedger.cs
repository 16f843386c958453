using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Pipeline.Core.Activities;
using Pipeline.Core.Jobs;
using Pipeline.Core.Storage;
using Pipeline.Core.Fal;

namespace Pipeline.Core.Submits;

/// <summary>
/// Every submit a job makes to fal, one small blob each (<c>jobs/submits/{job id}/{attempt}.json</c>). A submit is
/// claimed (the blob created, only if absent) before anything is sent, and the claim is completed with fal's answer.
/// Activities run at least once, so this is what makes the billable step safe to run again: a run that finds fal's
/// request id returns it without sending, and a run that finds a claim without an answer knows fal may have the
/// request (outcome unknown) and does not send it again. The records are also the truth about what fal may bill a job
/// for, whatever happened to its orchestration.
/// </summary>
public partial class SubmitLedger(PipelineStorage storage, TimeProvider time, ILogger<SubmitLedger> logger)
{
    private const string Prefix = "submits/";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Claims a submit (<paramref name="claim"/>, in state sending) for this run, or returns what an earlier run
    /// recorded.
    /// </summary>
    public virtual async Task<SubmitClaim> ClaimAsync(SubmitRecord claim, CancellationToken cancellationToken)
    {
        var (jobId, attempt) = (claim.JobId, claim.Attempt);
        var blob = Blob(jobId, attempt);
        try
        {
            var created = await blob.UploadAsync(
                BinaryData.FromObjectAsJson(claim with { State = SubmitState.Sending }, Json),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
            return new SubmitClaim.Granted(created.Value.ETag);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return new SubmitClaim.Taken(await FindAsync(jobId, attempt, cancellationToken)
                ?? throw new InvalidOperationException(
                    $"the submit record of job {jobId} (attempt {attempt}) exists and cannot be read", e));
        }
    }

    /// <summary>The record of the job's <paramref name="attempt"/>-th submit, or null when it was never claimed.</summary>
    public virtual async Task<SubmitRecord?> FindAsync(string jobId, int attempt, CancellationToken cancellationToken)
    {
        try
        {
            var content = await Blob(jobId, attempt).DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToObjectFromJson<SubmitRecord>(Json);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Deletes the job's records: only for a job that has ended and is being purged.</summary>
    public virtual async Task ForgetAsync(string jobId, CancellationToken cancellationToken)
    {
        await foreach (var item in storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{Prefix}{jobId}/" }, cancellationToken))
        {
            await storage.Jobs.DeleteBlobIfExistsAsync(item.Name, cancellationToken: cancellationToken);
        }
    }

    /// <summary>Every submit the job made, in order.</summary>
    public virtual async Task<IReadOnlyList<SubmitRecord>> ListAsync(string jobId, CancellationToken cancellationToken)
    {
        var records = new List<SubmitRecord>();
        await foreach (var item in storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{Prefix}{jobId}/" }, cancellationToken))
        {
            if (!item.Name.EndsWith(".json", StringComparison.Ordinal) || item.Name.Contains(DeliveredMark, StringComparison.Ordinal))
            {
                continue;
            }

            var content = await storage.Jobs.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken);
            records.Add(content.Value.Content.ToObjectFromJson<SubmitRecord>(Json)!);
        }

        return [.. records.OrderBy(r => r.Attempt)];
    }

    /// <summary>
    /// Notes that fal's webhook named <paramref name="requestId"/> for the job (written by the webhook receiver before it
    /// raises the event): a later submit attempt then knows fal has the job, even if the event was never taken.
    /// </summary>
    public virtual async Task RecordDeliveryAsync(string jobId, string requestId, CancellationToken cancellationToken)
    {
        var hash = Convert.ToHexStringLower(
            System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(requestId)))[..16];
        var name = $"{Prefix}{jobId}/{DeliveredMark}{hash}.json";
        await storage.Jobs.GetBlobClient(name).UploadAsync(
            BinaryData.FromObjectAsJson(new Delivery(requestId, time.GetUtcNow()), Json), overwrite: true, cancellationToken);
    }

    /// <summary>The request ids fal's webhooks named for the job.</summary>
    public virtual async Task<IReadOnlyList<string>> DeliveredAsync(string jobId, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        var items = storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{Prefix}{jobId}/{DeliveredMark}" }, cancellationToken);
        await foreach (var item in items)
        {
            var content = await storage.Jobs.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken);
            ids.Add(content.Value.Content.ToObjectFromJson<Delivery>(Json)!.RequestId);
        }

        return ids;
    }

    /// <summary>Records that fal has a claimed submit whose answer was lost (found in its request history or named by a webhook).</summary>
    public virtual Task AdoptAsync(SubmitRecord claim, FalRequestRef request, CancellationToken cancellationToken) =>
        Blob(claim.JobId, claim.Attempt).UploadAsync(
            BinaryData.FromObjectAsJson(
                claim with { State = SubmitState.Accepted, Request = request, AnsweredAt = time.GetUtcNow() }, Json),
            overwrite: true,
            cancellationToken);

    private const string DeliveredMark = "delivered-";

    private sealed record Delivery([property: System.Text.Json.Serialization.JsonPropertyName("request_id")] string RequestId,
        [property: System.Text.Json.Serialization.JsonPropertyName("at")] DateTimeOffset At);

    /// <summary>
    /// Completes a claim with fal's answer. Best effort: when it cannot be written the claim stays "sending", which a
    /// later run reads as outcome unknown (it waits for fal's webhook instead of sending again) — slower, never billed twice.
    /// </summary>
    public virtual async Task AnswerAsync(SubmitRecord answered, ETag claim, CancellationToken cancellationToken)
    {
        try
        {
            await Blob(answered.JobId, answered.Attempt).UploadAsync(
                BinaryData.FromObjectAsJson(answered with { AnsweredAt = time.GetUtcNow() }, Json),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = claim } },
                cancellationToken);
        }
        catch (RequestFailedException e)
        {
            LogAnswerNotRecorded(answered.JobId, answered.Attempt, answered.State, e.Status);
        }
    }

    private BlobClient Blob(string jobId, int attempt) =>
        storage.Jobs.GetBlobClient($"{Prefix}{jobId}/{attempt.ToString("D2", CultureInfo.InvariantCulture)}.json");

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Job {JobId}: fal's answer to submit {Attempt} ({State}) could not be recorded (status {Status}); " +
            "a rerun will treat it as unknown")]
    private partial void LogAnswerNotRecorded(string jobId, int attempt, SubmitState state, int status);
}
