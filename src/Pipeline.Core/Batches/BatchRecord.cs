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

/// <summary>
/// How one job of a batch ended, as the batch keeps it (and its results file shows it); a job that did not succeed
/// has its error's code and message.
/// </summary>
/// <param name="Status">
/// <c>succeeded</c>, <c>failed</c>, <c>cancelled</c>, <c>refused</c> (a cap, before any job ran) or <c>superseded</c>
/// (a sidecar).
/// </param>
public sealed record BatchJobEnd(
    string JobId,
    JobBatch Batch,
    Jobs.JobVariant? Variant,
    string Status,
    string? Video,
    long? Seed,
    decimal? CostUsd) : Telemetry.IDescribesJob
{
    public string? ErrorCode { get; init; }

    public string? ErrorMessage { get; init; }

    (Requests.VideoMode? Mode, string? EndUserId, string? FalRequestId) Telemetry.IDescribesJob.Describe() => (null, null, null);

    public static BatchJobEnd Of(Jobs.VideoJob job, Jobs.VideoJobResult result) => new(
        JobId: job.Id,
        Batch: job.Batch!,
        Variant: job.Variant,
        Status: result.Outcome switch
        {
            Jobs.JobOutcome.Succeeded => "succeeded",
            Jobs.JobOutcome.Failed => "failed",
            Jobs.JobOutcome.Superseded => "superseded",
            _ => "cancelled",
        },
        Video: result.Video?.Blob,
        Seed: result.Seed,
        CostUsd: result.Cost?.EstimatedUsd ?? (result.FalRequestId is null ? 0 : null))
    {
        ErrorCode = result.Error?.Code,
        ErrorMessage = result.Error?.Message,
    };

    /// <summary>A success before its video's name is known: the store step fills it in once the video is stored.</summary>
    public static BatchJobEnd Succeeded(Jobs.VideoJob job, long? seed, decimal? costUsd) =>
        new(JobId: job.Id, Batch: job.Batch!, Variant: job.Variant, Status: "succeeded", Video: null, Seed: seed, CostUsd: costUsd);
}

/// <summary>
/// What <c>GET /api/batches/{id}</c> answers: the batch and the jobs that ended (positional), then those that did not
/// and where its jobs and results are.
/// </summary>
/// <param name="Total">Jobs started for the batch (sidecars that only fed an image are not counted).</param>
public sealed record BatchProgress(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("kind")] BatchKind Kind,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("succeeded")] int Succeeded,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("cancelled")] int Cancelled)
{
    /// <summary>Jobs still queued or running.</summary>
    [JsonPropertyName("remaining")]
    public required int Remaining { get; init; }

    /// <summary>Manifest rows never started: invalid (with the setting that runs the valid rows) or over a spending cap.</summary>
    [JsonPropertyName("refused")]
    public required int Refused { get; init; }

    [JsonPropertyName("results")]
    public required string? Results { get; init; }

    [JsonPropertyName("jobs_url")]
    public required string JobsUrl { get; init; }

    [JsonIgnore]
    public int Done => Succeeded + Failed + Cancelled;
}
