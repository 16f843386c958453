using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Api;

/// <summary>
/// The HTTP API's logic, shared by the Functions triggers and the local host: submit a job, read it, cancel it.
/// Hosts only translate HTTP to these calls and the results back, and hand over their <see cref="DurableTaskClient"/>
/// (a binding in Functions, a service elsewhere).
/// </summary>
public class VideoJobService(JobScheduler scheduler, PipelineStorage storage, BlobUrlSigner signer, IOptions<PipelineOptions> options)
{
    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>Validates and starts a job; the same idempotency key (per mode) always answers with the same job.</summary>
    public virtual async Task<SubmitResult> SubmitAsync(DurableTaskClient client, VideoMode mode, JsonNode? body, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength || idempotencyKey.Any(char.IsControl)))
        {
            errors.Add("Idempotency-Key", $"must be 1 to {MaxIdempotencyKeyLength} printable characters");
            return new SubmitResult(null, false, errors);
        }

        var (request, validation) = VideoRequestValidator.Validate(mode, body);
        if (request is null)
        {
            return new SubmitResult(null, false, validation);
        }

        var id = idempotencyKey is null ? JobIds.New() : JobIds.ForIdempotencyKey(mode.Slug(), idempotencyKey);
        var job = new VideoJob(id, mode, request, JobSource.Http, $"jobs/{id}.mp4", scheduler.Timings, scheduler.Now);
        var created = await scheduler.StartAsync(client, job, cancellationToken);
        return new SubmitResult(id, created, null);
    }

    public virtual async Task<VideoJobView?> GetAsync(DurableTaskClient client, string id, CancellationToken cancellationToken)
    {
        if (!JobIds.IsWellFormed(id))
        {
            return null;
        }

        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
        if (instance is null)
        {
            return null;
        }

        var job = instance.ReadInputAs<VideoJob>();
        var progress = instance.SerializedCustomStatus is null ? null : instance.ReadCustomStatusAs<JobProgress>();
        var result = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<VideoJobResult>() : null;
        var mode = result?.Mode ?? progress?.Mode ?? job?.Mode ?? VideoMode.TextToVideo;
        var (status, error) = (instance.RuntimeStatus, result?.Outcome) switch
        {
            (OrchestrationRuntimeStatus.Completed, JobOutcome.Succeeded) => (VideoJobStatuses.Succeeded, null),
            (OrchestrationRuntimeStatus.Completed, JobOutcome.Failed) => (VideoJobStatuses.Failed, result!.Error),
            (OrchestrationRuntimeStatus.Completed, JobOutcome.Superseded) => (VideoJobStatuses.Cancelled, new JobError("superseded", "this .json is the sidecar of an image dropped beside it; the image's job used it")),
            (OrchestrationRuntimeStatus.Completed, _) => (VideoJobStatuses.Cancelled, result?.Error),
            (OrchestrationRuntimeStatus.Failed, _) => (VideoJobStatuses.Failed, new JobError("internal_error", instance.FailureDetails?.ErrorMessage ?? "the job's orchestration failed")),
            (OrchestrationRuntimeStatus.Terminated, _) => (VideoJobStatuses.Cancelled, new JobError("terminated", "the job was terminated by an operator")),
            _ when progress?.Stage is JobStages.Running or JobStages.Storing or JobStages.Finishing or JobStages.Cancelling => (VideoJobStatuses.Running, null),
            _ => (VideoJobStatuses.Queued, (JobError?)null),
        };

        var video = result?.Video;
        if (video is not null && options.Value.VideoUrlSasLifetime > TimeSpan.Zero)
        {
            var blob = storage.Videos.GetBlobClient(video.Blob[(video.Blob.IndexOf('/', StringComparison.Ordinal) + 1)..]);
            video = video with { Url = (await signer.ReadUrlAsync(blob, options.Value.VideoUrlSasLifetime, cancellationToken)).ToString() };
        }

        return new VideoJobView(
            id,
            mode,
            status,
            result is null ? progress?.Stage : null,
            job?.Source.ToString() ?? "unknown",
            result?.FalRequestId ?? progress?.FalRequestId,
            result is null ? progress?.QueuePosition : null,
            video,
            result?.Seed,
            error,
            instance.CreatedAt,
            instance.LastUpdatedAt);
    }

    /// <summary>Asks a running job to cancel itself (at fal too); it ends as cancelled.</summary>
    public virtual async Task<CancelResult> CancelAsync(DurableTaskClient client, string id, CancellationToken cancellationToken)
    {
        if (!JobIds.IsWellFormed(id))
        {
            return CancelResult.NotFound;
        }

        var instance = await client.GetInstanceAsync(id, cancellationToken);
        if (instance is null)
        {
            return CancelResult.NotFound;
        }

        if (instance.IsCompleted)
        {
            return CancelResult.AlreadyFinished;
        }

        await client.RaiseEventAsync(id, VideoJobOrchestrator.CancelEvent, new CancelRequest("cancelled through the API"), cancellationToken);
        return CancelResult.Accepted;
    }
}
