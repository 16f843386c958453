using System.Text.Json.Serialization;
using Pipeline.Core.Jobs;

namespace Pipeline.Core.Batches;

/// <summary>
/// What is kept of a batch itself (<c>jobs/batches/{id}/batch.json</c>): what it is, when it began and, for a manifest,
/// its rows, the rows refused before anything was billed, and its results file in the videos container.
/// </summary>
public sealed record BatchRecord(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("kind")] BatchKind Kind,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("rows")] int? Rows = null,
    [property: JsonPropertyName("refused_rows")] IReadOnlyList<RefusedRow>? RefusedRows = null,
    [property: JsonPropertyName("results")] string? Results = null);

/// <summary>How one job of a batch ended, as the batch keeps it (and its results file shows it).</summary>
/// <param name="Status"><c>succeeded</c>, <c>failed</c>, <c>cancelled</c>, <c>refused</c> (a cap, before any job ran) or <c>superseded</c> (a sidecar).</param>
public sealed record BatchJobEnd(
    string JobId,
    JobBatch Batch,
    Jobs.JobVariant? Variant,
    string Status,
    string? Video,
    long? Seed,
    decimal? CostUsd,
    string? ErrorCode,
    string? ErrorMessage) : Telemetry.IDescribesJob
{
    (Requests.VideoMode? Mode, string? EndUserId, string? FalRequestId) Telemetry.IDescribesJob.Describe() => (null, null, null);

    public static BatchJobEnd Of(Jobs.VideoJob job, Jobs.VideoJobResult result) => new(
        job.Id,
        job.Batch!,
        job.Variant,
        result.Outcome switch
        {
            Jobs.JobOutcome.Succeeded => "succeeded",
            Jobs.JobOutcome.Failed => "failed",
            Jobs.JobOutcome.Superseded => "superseded",
            _ => "cancelled",
        },
        result.Video?.Blob,
        result.Seed,
        result.Cost?.EstimatedUsd ?? (result.FalRequestId is null ? 0 : null),
        result.Error?.Code,
        result.Error?.Message);

    /// <summary>A success before its video's name is known: the store step fills it in once the video is stored.</summary>
    public static BatchJobEnd Succeeded(Jobs.VideoJob job, long? seed, decimal? costUsd) =>
        new(job.Id, job.Batch!, job.Variant, "succeeded", null, seed, costUsd, null, null);
}

/// <summary>What <c>GET /api/batches/{id}</c> answers: the batch, its counts, and where its jobs and results are.</summary>
/// <param name="Total">Jobs started for the batch (sidecars that only fed an image are not counted).</param>
/// <param name="Remaining">Jobs still queued or running.</param>
/// <param name="Refused">Manifest rows never started: invalid (with the setting that runs the valid rows) or over a spending cap.</param>
public sealed record BatchProgress(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("kind")] BatchKind Kind,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("succeeded")] int Succeeded,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("cancelled")] int Cancelled,
    [property: JsonPropertyName("remaining")] int Remaining,
    [property: JsonPropertyName("refused")] int Refused,
    [property: JsonPropertyName("results")] string? Results,
    [property: JsonPropertyName("jobs_url")] string JobsUrl)
{
    [JsonIgnore]
    public int Done => Succeeded + Failed + Cancelled;
}
