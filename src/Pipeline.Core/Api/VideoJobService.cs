using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Batches;
using Pipeline.Core.Costs;
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
public class VideoJobService(
    JobScheduler scheduler,
    JobIndex index,
    UploadStore uploads,
    PipelineStorage storage,
    BlobUrlSigner signer,
    IOptions<PipelineOptions> options,
    PriceTable prices,
    UsageLedger ledger,
    BatchLedger batches,
    IOptions<Callbacks.CallbackOptions> callbacks,
    Events.EventOutbox outbox,
    Housekeeping.ReconciledOutcomes outcomes)
{
    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>Validates and starts a job; the same idempotency key (per mode) always answers with the same job.</summary>
    public virtual async Task<SubmitResult> SubmitAsync(
        DurableTaskClient client, VideoMode mode, JsonNode? body, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (IdempotencyKeyProblem(idempotencyKey) is { } keyProblem)
        {
            return new SubmitResult(null, false, keyProblem);
        }

        var (request, asked, validation) = Validate(mode, body, allowBlobReferences: false);
        if (request is null || validation.Count > 0)
        {
            return new SubmitResult(null, false, validation);
        }

        // The same key asking for other variants or another receiver is another request.
        var fingerprint = RequestFingerprint.Of(mode, request, asked.Correlation) + (asked.Variants > 1 ? $":v{asked.Variants}" : "")
            + (asked.Callback is { } callback ? $":{System.Text.Json.JsonSerializer.Serialize(callback)}" : "");
        return await StartAsync(client, mode, JobIdFor(mode, idempotencyKey), request, asked, fingerprint, cancellationToken);
    }

    /// <summary>Where a job is read: under the configured API base URL, else relative (<c>/api/videos/{id}</c>).</summary>
    public string StatusUrl(string id) =>
        $"{(options.Value.ApiBaseUrl ?? options.Value.PublicBaseUrl)?.ToString().TrimEnd('/')}/api/videos/{id}";

    /// <summary>The id a request gets: from its idempotency key (per mode), else a new one.</summary>
    public static string JobIdFor(VideoMode mode, string? idempotencyKey) =>
        idempotencyKey is null ? JobIds.New() : JobIds.ForIdempotencyKey(mode.Slug(), idempotencyKey);

    public static ValidationErrors? IdempotencyKeyProblem(string? idempotencyKey)
    {
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength || idempotencyKey.Any(char.IsControl)))
        {
            var errors = new ValidationErrors();
            errors.Add("Idempotency-Key", $"must be 1 to {MaxIdempotencyKeyLength} printable characters");
            return errors;
        }

        return null;
    }

    /// <summary>What a request asks of the pipeline beside the model's input (none of it is sent to fal).</summary>
    private sealed record PipelineFields(IReadOnlyDictionary<string, string>? Correlation, int Variants, Callbacks.JobCallback? Callback);

    /// <summary>
    /// The request as the model takes it and the pipeline's own fields (correlation, variants, callback), with every
    /// problem of all of them.
    /// </summary>
    private (VideoRequest? Request, PipelineFields Asked, ValidationErrors Errors) Validate(
        VideoMode mode, JsonNode? body, bool allowBlobReferences)
    {
        var problems = new ValidationErrors();
        var (fields, correlation) = Correlation.Split(body, problems);
        var variants = fields is JsonObject obj ? Variants.Split(obj, problems) : 1;
        var callback = fields is JsonObject withCallback ? Callbacks.JobCallback.Split(withCallback, callbacks.Value, problems) : null;
        var (request, validation) = VideoRequestValidator.Validate(mode, fields, allowBlobReferences);
        foreach (var (field, messages) in problems)
        {
            Array.ForEach(messages, m => validation.Add(field, m));
        }

        return (request, new PipelineFields(correlation, variants, callback), validation);
    }

    /// <summary>Whether the job exists already (a repeated idempotency key): its files are then not stored again.</summary>
    public virtual async Task<bool> ExistsAsync(DurableTaskClient client, string id, CancellationToken cancellationToken) =>
        await client.GetInstanceAsync(id, cancellationToken) is not null;

    /// <summary>
    /// The answer to a repeat of an existing job's idempotency key: the same job, or a conflict when it asks for
    /// something else.
    /// </summary>
    public virtual async Task<SubmitResult> RepeatAsync(
        DurableTaskClient client, string id, string fingerprint, CancellationToken cancellationToken) =>
        await scheduler.ExistingAsync(client, id, fingerprint, cancellationToken) is JobStart.Conflict
            ? new SubmitResult(id, false, null, Conflict: true)
            : new SubmitResult(id, false, null);

    /// <summary>
    /// Validates and starts a job whose files were uploaded with it (already in <see cref="UploadStore"/> under
    /// <paramref name="id"/>, named in <paramref name="body"/> as blob references). A reference to any other blob is
    /// refused; a refused request's files are removed.
    /// </summary>
    /// <param name="fingerprint">The form's fingerprint (its fields and files).</param>
    public virtual async Task<SubmitResult> SubmitUploadedAsync(
        DurableTaskClient client,
        VideoMode mode,
        string id,
        JsonNode body,
        ValidationErrors uploadErrors,
        string fingerprint,
        CancellationToken cancellationToken)
    {
        var (request, asked, validation) = Validate(mode, body, allowBlobReferences: true);

        foreach (var (field, url) in request?.Urls() ?? [])
        {
            if (BlobReference.TryParse(url, out var reference) && !UploadStore.BelongsTo(reference, id))
            {
                validation.Add(field, "must be an http(s) URL or a file sent with the request");
            }
        }

        foreach (var (field, messages) in uploadErrors)
        {
            foreach (var problem in messages)
            {
                validation.Add(field, problem);
            }
        }

        if (request is null || validation.Count > 0)
        {
            await uploads.DiscardAsync(id, CancellationToken.None);
            return new SubmitResult(null, false, validation);
        }

        var result = await StartAsync(client, mode, id, request, asked, fingerprint, cancellationToken);
        if (result.Refusal is not null)
        {
            await uploads.DiscardAsync(id, CancellationToken.None);
        }

        return result;
    }

    /// <summary>
    /// Starts the job — or its variants, each with its own seed, in one batch — with each estimate reserved against the
    /// caps as it starts: a first job that would pass one starts nothing (a 429 for the caller); a later variant that
    /// would stops the rest, and the answer says which were not started.
    /// </summary>
    private async Task<SubmitResult> StartAsync(
        DurableTaskClient client,
        VideoMode mode,
        string id,
        VideoRequest request,
        PipelineFields asked,
        string fingerprint,
        CancellationToken cancellationToken)
    {
        var (correlation, variants) = (asked.Correlation, asked.Variants);
        var batch = variants > 1 ? BatchIds.ForVariants(id) : null;
        var jobs = new List<SubmittedVariant>();
        for (var index = 1; index <= variants; index++)
        {
            var jobId = JobIds.ForVariant(id, index);
            var seeded = request with { Seed = Variants.SeedOf(request.Seed, id, index, variants) };
            var now = scheduler.Now;
            var job = new VideoJob(
                Id: jobId,
                Mode: mode,
                Request: seeded,
                Source: JobSource.Http,
                OutputBlob: $"jobs/{jobId}.mp4",
                Timings: scheduler.Timings,
                CreatedAt: now)
            {
                Correlation = correlation,
                RequestFingerprint = fingerprint,
                Batch = batch,
                Variant = batch is null ? null : new JobVariant(index, variants),
                Callback = asked.Callback,
            };
            var started = await scheduler.StartAsync(client, job, cancellationToken,
                token => ledger.TryReserveAsync(UsageLedger.DayOf(now), jobId, seeded.EndUserId, prices.Estimate(mode, seeded), token));
            switch (started)
            {
                case JobStart.Refused refused when index == 1:
                    return new SubmitResult(null, false, null, refused.Refusal);
                case JobStart.Refused refused:
                    return new SubmitResult(
                        id,
                        jobs[0].Created,
                        null,
                        Jobs: jobs,
                        BatchId: batch?.Id,
                        NotStarted: new VariantsNotStarted(index, variants, refused.Refusal.Message));
                case JobStart.Conflict:
                    return new SubmitResult(id, false, null, Conflict: true);
                default:
                    jobs.Add(new SubmittedVariant(jobId, StatusUrl(jobId), index, seeded.Seed, started is JobStart.Started));
                    break;
            }
        }

        return new SubmitResult(id, jobs[0].Created, null, Jobs: batch is null ? null : jobs, BatchId: batch?.Id);
    }

    /// <summary>The day's jobs, seconds and estimated spend, in total and per end user.</summary>
    public virtual Task<DayUsage> UsageAsync(string day, CancellationToken cancellationToken) => ledger.ReadAsync(day, cancellationToken);

    /// <summary>
    /// Recent jobs, newest first, a page at a time, or the jobs of one batch (in the order of their ids); sidecars that
    /// only fed their image's job are left out.
    /// </summary>
    public virtual async Task<VideoJobPage> ListAsync(
        DurableTaskClient client, int pageSize, string? cursor, CancellationToken cancellationToken, string? batchId = null)
    {
        var page = batchId is not null
            ? await batches.JobsAsync(batchId, pageSize, cursor, cancellationToken)
            : await index.PageAsync(pageSize, cursor, cancellationToken);
        var views = await Task.WhenAll(page.Ids.Distinct(StringComparer.Ordinal).Select(id => GetAsync(client, id, cancellationToken)));
        return new VideoJobPage([.. views.OfType<VideoJobView>().Where(v => v.Error?.Code != "superseded")], page.NextCursor);
    }

    /// <summary>Whether the app knows the batch (its record only: counting it would list all its jobs).</summary>
    public virtual async Task<bool> BatchExistsAsync(string batchId, CancellationToken cancellationToken) =>
        BatchIds.IsWellFormed(batchId) && await batches.ReadAsync(batchId, cancellationToken) is not null;

    /// <summary>A batch's counts and where its jobs and results are; null for an unknown batch.</summary>
    public virtual async Task<BatchProgress?> BatchAsync(string batchId, CancellationToken cancellationToken) =>
        await batches.ProgressAsync(batchId, $"{StatusUrl("")[..^1]}?batch={batchId}", cancellationToken);

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
        var result = instance.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Completed => instance.ReadOutputAs<VideoJobResult>(),
            // What the reconciler made of a job whose orchestration failed (a video it stored, say) is its outcome.
            OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated => await outcomes.ReadAsync(id, cancellationToken),
            _ => null,
        };
        var mode = result?.Mode ?? progress?.Mode ?? job?.Mode ?? VideoMode.TextToVideo;
        var (status, error) = (instance.RuntimeStatus, result?.Outcome) switch
        {
            (_, JobOutcome.Succeeded) => (VideoJobStatuses.Succeeded, null),
            (_, JobOutcome.Failed) => (VideoJobStatuses.Failed, result!.Error),
            (_, JobOutcome.Superseded) => (VideoJobStatuses.Cancelled,
                result!.Error ?? new JobError(
                    "superseded", "this .json is the sidecar of an image dropped beside it; the image's job used it")),
            (_, JobOutcome.Cancelled) => (VideoJobStatuses.Cancelled, result?.Error),
            (OrchestrationRuntimeStatus.Failed, _) => (VideoJobStatuses.Failed,
                new JobError("internal_error", instance.FailureDetails?.ErrorMessage ?? "the job's orchestration failed")),
            (OrchestrationRuntimeStatus.Terminated, _) => (VideoJobStatuses.Cancelled,
                new JobError("terminated", "the job was terminated by an operator")),
            _ when progress?.Stage is JobStages.Running or JobStages.Storing or JobStages.Finishing or JobStages.Cancelling =>
                (VideoJobStatuses.Running, null),
            _ => (VideoJobStatuses.Queued, (JobError?)null),
        };

        // A finished job shows what fal was asked for (nothing when it never accepted the job); a running one its estimate.
        var cost = result is not null
            ? result.Cost ?? (result.FalRequestId is null ? new JobCost(0, 0) : null)
            : job?.Request is { } asked ? prices.Estimate(mode, asked) : null;
        var video = result?.Video;
        if (video is not null && options.Value.VideoUrlSasLifetime > TimeSpan.Zero)
        {
            var blob = storage.Videos.GetBlobClient(video.Blob[(video.Blob.IndexOf('/', StringComparison.Ordinal) + 1)..]);
            video = video with { Url = (await signer.ReadUrlAsync(blob, options.Value.VideoUrlSasLifetime, cancellationToken)).ToString() };
        }

        return new VideoJobView(
            Id: id,
            Mode: mode,
            Status: status,
            Stage: result is null ? progress?.Stage : null,
            Source: job?.Source.ToString() ?? "unknown",
            Prompt: job?.Request?.Prompt ?? result?.Prompt ?? progress?.Prompt, // an inbox drop's comes from its sidecar or metadata
            FalRequestId: result?.FalRequestId ?? progress?.FalRequestId,
            QueuePosition: result is null ? progress?.QueuePosition : null)
        {
            Video = video,
            Seed = result?.Seed,
            Error = error,
            CreatedAt = instance.CreatedAt,
            UpdatedAt = instance.LastUpdatedAt,
            EndUserId = result?.EndUserId ?? job?.Request?.EndUserId,
            Correlation = result?.Correlation ?? job?.Correlation,
            VideoSeconds = cost?.VideoSeconds,
            EstimatedCostUsd = cost?.EstimatedUsd,
            FalRequestIds = result?.FalRequestIds ?? progress?.FalRequestIds,
            Batch = job?.Batch,
            Variant = job?.Variant,
            Callback = job?.Callback is { } callback ? await CallbackViewAsync(client, id, callback, cancellationToken) : null,
            Retrying = result is null ? progress?.Retrying : null,
            UndeliveredEvents = await UndeliveredAsync(id, cancellationToken),
        };
    }

    /// <summary>The job's events that wait in the outbox (Event Grid away), or were given up; null when none.</summary>
    private async Task<IReadOnlyList<Events.UndeliveredEvent>?> UndeliveredAsync(string id, CancellationToken cancellationToken) =>
        await outbox.ListAsync(id, cancellationToken) is { Count: > 0 } kept ? [.. kept.Select(Events.UndeliveredEvent.Of)] : null;

    /// <summary>The receiver's origin, the events asked for, and each delivery's attempts and last answer so far.</summary>
    private static async Task<Callbacks.CallbackView> CallbackViewAsync(
        DurableTaskClient client, string id, Callbacks.JobCallback callback, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(
            JobCallbacksOrchestrator.InstanceIdFor(id), getInputsAndOutputs: true, cancellationToken);
        var report = instance?.RuntimeStatus == OrchestrationRuntimeStatus.Completed
            ? instance.ReadOutputAs<Callbacks.CallbackReport>()
            : instance?.SerializedCustomStatus is null ? null : instance.ReadCustomStatusAs<Callbacks.CallbackReport>();
        return new Callbacks.CallbackView(callback.Origin, callback.Events ?? Callbacks.JobCallback.EventNames, report?.Deliveries ?? []);
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

        await client.RaiseEventAsync(
            id, VideoJobOrchestrator.CancelEvent, new CancelRequest("cancelled through the API"), cancellationToken);
        return CancelResult.Accepted;
    }
}
