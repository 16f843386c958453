using System.Text.Json.Nodes;
using Pipeline.Core.Api;
using Pipeline.Core.Costs;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;
using Pipeline.Core.Submits;
using Pipeline.Core.Telemetry;
using Pipeline.Core.Webhooks;
using Pipeline.Core.Inbox;

namespace Pipeline.Core.Activities;

/// <summary>
/// The job to submit (positional), then which submit of it this is and how its steps run. Version 1 had only the
/// job's id, mode and request.
/// </summary>
/// <param name="Request">The validated request; null for an inbox job, whose drop is read here.</param>
/// <param name="Announcement">
/// The "submitted" event to publish once fal has accepted the job (the activity fills in fal's id, the mode and the
/// time).
/// </param>
/// <param name="CreatedAt">The job's creation: its cost counts on that UTC day.</param>
public sealed record SubmitToFalInput(
    string JobId,
    VideoMode Mode,
    VideoRequest? Request,
    JobSource? Source = null,
    JobEvent? Announcement = null,
    DateTimeOffset? CreatedAt = null) : IDescribesJob
{
    /// <summary>Which submit of the job this is (1, then 2 after a lost answer with no webhook): one record each.</summary>
    public int? Attempt { get; init; }

    /// <summary>The job already waited once for its drop's companion (sidecar or image): decide now.</summary>
    public bool CompanionWaited { get; init; }

    public JobVariant? Variant { get; init; }

    /// <summary>
    /// The version of the job's steps (2 for an input that does not say). From 3: fal's absence is
    /// <see cref="SubmitToFalOutcome.FalUnavailable"/>, every input carries a seed (the job's own when the request names
    /// none), and a later attempt sends nothing when an earlier one turns out to be at fal (its record, a webhook that
    /// named it, or fal's request history).
    /// </summary>
    public int Steps { get; init; } = 2;

    /// <summary>The job's requests that ended at fal without a video: a later attempt is not one of them.</summary>
    public IReadOnlyList<string>? Ended { get; init; }

    (VideoMode? Mode, string? EndUserId, string? FalRequestId) IDescribesJob.Describe() => (Mode, Request?.EndUserId, null);
}

/// <summary>
/// The billable step, safe to run more than once: reads an inbox drop into a request, takes a concurrency slot and
/// reserves the estimate, claims the submit in the <see cref="SubmitLedger"/>, sends it to fal's queue with the job's
/// webhook URL, records fal's answer and announces the job. A run that finds the submit already claimed sends nothing:
/// it returns fal's request (answered) or <see cref="SubmitToFalOutcome.OutcomeUnknown"/> (claimed, unanswered: fal may
/// have it). Anything that goes wrong after the claim is outcome unknown too, never a failure that could be retried
/// into a second bill. A failure before the claim throws <see cref="NothingSubmittedException"/>, which the orchestration
/// retries. Inbox files become read-only SAS URLs here, so no signature reaches orchestration history.
/// </summary>
public sealed partial class SubmitToFalActivity(
    FalQueueClient fal, InboxReader inbox, FalInputResolver inputs, WebhookUrls webhookUrls, JobAdmission admission, SubmitLedger submits,
    SubmitFinder finder, SubmitGate gate, Inbox.ImageUses uses, Inbox.OutputNames outputs, Inbox.InboxPhotos photos, JobAnnouncer announcer,
    TimeProvider time, ILogger<SubmitToFalActivity> logger)
    : IPipelineActivity<SubmitToFalInput, SubmitToFalOutcome>
{
    public const string Name = "SubmitToFal";

    public async Task<SubmitToFalOutcome> RunAsync(SubmitToFalInput input, CancellationToken cancellationToken)
    {
        var attempt = input.Attempt ?? 1;
        var earlier = await Before(() => submits.FindAsync(input.JobId, attempt, cancellationToken));
        if (earlier is not null)
        {
            LogRerun(input.JobId, attempt, earlier.State);
            return await FromRecordAsync(earlier, input, cancellationToken);
        }

        var createdAt = input.CreatedAt ?? time.GetUtcNow();
        var prepared = await Before(() => PrepareAsync(input, createdAt, cancellationToken));
        var output = prepared is PreparedJob.Ready or PreparedJob.Invalid
            ? await Before(() => OutputOfAsync(input, cancellationToken))
            : null;
        if (prepared is not PreparedJob.Ready ready)
        {
            return Early(prepared) with { OutputBlob = output };
        }

        if (input.Steps >= 3 && await Before(() => ManifestUsesAsync(input.Source, cancellationToken)) is { } manifest)
        {
            return new SubmitToFalOutcome.Superseded
            {
                Mode = ready.Mode,
                Reason = $"the manifest {manifest} names this image: its row makes the video",
            };
        }

        var admitted = await Before(() => admission.AdmitAsync(input.JobId, createdAt, ready.Mode, ready.Request, cancellationToken));
        var job = new SubmittedJob(
            input.JobId, attempt, ready.Mode, admitted.Cost, ready.Request.EndUserId, ready.Correlation, output, ready.Request.Prompt);
        if (admitted.Refusal is { } refusal)
        {
            LogOverBudget(input.JobId, refusal.Message);
            return job.Outcome(new SubmitToFalOutcome.NotSubmitted(new JobError("budget_exceeded", refusal.Message)));
        }

        if (!admitted.HasSlot)
        {
            return job.Outcome(new SubmitToFalOutcome.WaitingForSlot());
        }

        if (input.Steps >= 3
            && attempt > 1
            && await Before(() => finder.EarlierAtFalAsync(input.JobId, ready.Mode, input.Ended ?? [], cancellationToken))
                is { } earlierAtFal)
        {
            // A later attempt sends nothing when an earlier one turns out to be at fal (billed already).
            LogEarlierAtFal(input.JobId, attempt, earlierAtFal.RequestId);
            return await AcceptedAsync(job, earlierAtFal, null, time.GetUtcNow(), input.Announcement, cancellationToken);
        }

        JsonObject body;
        try
        {
            // Version 3: HEIC and sideways photos go to fal as upright JPEG copies (fal takes JPEG, PNG and WebP only).
            var asked = input.Steps >= 3 ? await photos.UprightAsync(input.JobId, ready.Request, cancellationToken) : ready.Request;
            body = await inputs.ToFalInputAsync(asked, cancellationToken);
            if (input.Steps >= 3 && body["seed"] is null)
            {
                body["seed"] = JobSeeds.For(input.JobId); // makes the input the job's own in fal's request history
            }

            fal.EnsureConfigured();
        }
        catch (Inbox.PhotoUnreadableException e)
        {
            await admission.RefundAsync(input.JobId, createdAt, CancellationToken.None);
            return job.Outcome(new SubmitToFalOutcome.NotSubmitted(new JobError("invalid_request", e.Message)));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Nothing was sent: what the job took is given back, and the orchestration may run this again.
            await admission.RefundAsync(input.JobId, createdAt, CancellationToken.None);
            throw new NothingSubmittedException($"the job's inputs could not be prepared: {e.Message}", e);
        }

        var record = job.Record(time.GetUtcNow()) with
        {
            EndpointId = ready.Mode.EndpointId(),
            InputFingerprint = FalInputFingerprint.Of(body),
        };
        using var sending = gate.TryEnter()
            ?? throw new NothingSubmittedException("the host is stopping; the submit runs after its restart");
        var claim = await Before(() => submits.ClaimAsync(record, cancellationToken));
        if (claim is SubmitClaim.Taken taken)
        {
            return await FromRecordAsync(taken.Record, input, cancellationToken); // a concurrent run of this activity claimed it first
        }

        var etag = ((SubmitClaim.Granted)claim).ETag;
        FalSubmitResult submitted;
        try
        {
            // Not the host's token: a stop lets a submit that has begun finish (the gate holds the stop), so that only a
            // hard crash can leave its outcome unknown. The fal client's own timeouts bound it.
            // Version 3 tries once per step: its retries are durable waits taken with no claim open.
            submitted = await fal.SubmitAsync(
                ready.Mode.EndpointId(), body, webhookUrls.ForJob(input.JobId), retry: input.Steps < 3, CancellationToken.None);
        }
        catch (FalSubmitOutcomeUnknownException e)
        {
            // Possibly billed: the claim stays unanswered, and the slot and the reservation stay with the job.
            LogOutcomeUnknown(input.JobId, e.Message);
            return job.Outcome(new SubmitToFalOutcome.OutcomeUnknown(admission.LimitsConcurrency));
        }
        catch (FalApiException e)
        {
            // fal answered with an error on every attempt (or could not be connected to): it has nothing.
            LogRefused(input.JobId, e.Status, e.ErrorCode);
            var error = new JobError(e.IsRetryable ? "fal_unavailable" : "fal_rejected", e.Message);
            await submits.AnswerAsync(record with { State = SubmitState.Refused, Error = error }, etag, CancellationToken.None);
            await admission.RefundAsync(input.JobId, createdAt, CancellationToken.None);
            return job.Outcome(input.Steps >= 3 && e.IsRetryable
                ? new SubmitToFalOutcome.FalUnavailable(error) // version 3 waits for fal and submits again
                : new SubmitToFalOutcome.NotSubmitted(error));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Bytes may have reached fal: never a failure that a retry could bill twice.
            LogOutcomeUnknown(input.JobId, e.Message);
            return job.Outcome(new SubmitToFalOutcome.OutcomeUnknown(admission.LimitsConcurrency));
        }

        LogSubmitted(input.JobId, submitted.RequestId);
        var request = new FalRequestRef(submitted.RequestId, submitted.StatusUrl, submitted.ResponseUrl, submitted.CancelUrl);
        await submits.AnswerAsync(
            record with { State = SubmitState.Accepted, Request = request, QueuePosition = submitted.QueuePosition },
            etag,
            CancellationToken.None);
        return await AcceptedAsync(job, request, submitted.QueuePosition, time.GetUtcNow(), input.Announcement, cancellationToken);
    }

    /// <summary>The request the job asks for: given, or read from its inbox drop.</summary>
    private async Task<PreparedJob> PrepareAsync(SubmitToFalInput input, DateTimeOffset createdAt, CancellationToken cancellationToken) =>
        input.Request is { } request ? new PreparedJob.Ready(input.Mode, request)
        : input.Source is { Kind: JobSourceKind.Inbox } source
            ? await inbox.PrepareAsync(source, createdAt, input.CompanionWaited, cancellationToken, input.Variant)
        : new PreparedJob.Invalid(input.Mode, "the job has no request");

    private static SubmitToFalOutcome Early(PreparedJob prepared) => prepared switch
    {
        PreparedJob.Superseded => new SubmitToFalOutcome.Superseded { Mode = prepared.Mode },
        PreparedJob.WaitForCompanion wait => new SubmitToFalOutcome.WaitingForCompanion(wait.Wait) { Mode = prepared.Mode },
        PreparedJob.Invalid invalid =>
            new SubmitToFalOutcome.NotSubmitted(new JobError("invalid_request", invalid.Problem)) { Mode = prepared.Mode },
        _ => throw new InvalidOperationException($"unexpected {prepared}"),
    };

    /// <summary>What an earlier run of this submit left: fal's request, an unanswered claim, or fal's refusal. Nothing is sent.</summary>
    private async Task<SubmitToFalOutcome> FromRecordAsync(SubmitRecord record, SubmitToFalInput input, CancellationToken cancellationToken)
    {
        var job = new SubmittedJob(
            record.JobId,
            record.Attempt,
            record.Mode ?? input.Mode,
            record.Cost,
            record.EndUserId,
            record.Correlation,
            record.OutputBlob,
            record.Prompt);
        return record.State switch
        {
            SubmitState.Accepted when record.Request is { } request =>
                await AcceptedAsync(
                    job, request, record.QueuePosition, record.AnsweredAt ?? record.ClaimedAt, input.Announcement, cancellationToken),
            // fal away is a wait for version 3, on a rerun too (a crash after the refusal was recorded): never the job's end.
            SubmitState.Refused when input.Steps >= 3 && record.Error is { Code: "fal_unavailable" } away =>
                job.Outcome(new SubmitToFalOutcome.FalUnavailable(away)),
            SubmitState.Refused => job.Outcome(new SubmitToFalOutcome.NotSubmitted(
                record.Error ?? new JobError("fal_rejected", "fal did not accept the request"))),
            _ => job.Outcome(new SubmitToFalOutcome.OutcomeUnknown(admission.LimitsConcurrency)),
        };
    }

    /// <summary>fal has the job: announce it (the same CloudEvent id on every run) and hand its request to the orchestration.</summary>
    private async Task<SubmitToFalOutcome> AcceptedAsync(
        SubmittedJob job,
        FalRequestRef request,
        int? queuePosition,
        DateTimeOffset at,
        JobEvent? announcement,
        CancellationToken cancellationToken)
    {
        var announced = announcement is { } planned ? await announcer.TryAnnounceAsync(planned with
        {
            Time = at,
            Data = planned.Data with
            {
                Mode = job.Mode,
                FalRequestId = request.RequestId,
                Timings = planned.Data.Timings with { SubmittedAt = at },
                EndUserId = job.EndUserId,
                Correlation = job.Correlation ?? planned.Data.Correlation,
                VideoSeconds = job.Cost?.VideoSeconds,
                EstimatedCostUsd = job.Cost?.EstimatedUsd,
            },
        }, queueBehind: false, cancellationToken) : null;
        return job.Outcome(new SubmitToFalOutcome.Submitted(request, queuePosition, at, announced is not null, admission.LimitsConcurrency)
        {
            EventKept = announced == AnnounceOutcome.Kept,
        });
    }

    /// <summary>
    /// An inbox drop's video name (version 3), claimed now that the drop is a job of its own — a sidecar that feeds its
    /// image never claims one — so that no two drops write the same video; null for other jobs (their name is set).
    /// </summary>
    private async Task<string?> OutputOfAsync(SubmitToFalInput input, CancellationToken cancellationToken) =>
        input is { Steps: >= 3, Request: null, Source: { Kind: JobSourceKind.Inbox, BlobName: { } name } source }
            ? await outputs.ForDropAsync(
                source.Container ?? PipelineStorage.InboxContainerName,
                name,
                input.Variant?.Index ?? 1,
                input.Variant?.Of ?? 1,
                cancellationToken)
            : null;

    /// <summary>
    /// For an image dropped into the inbox: the manifest that uses it (its job then yields), else null (the image is
    /// its job's).
    /// </summary>
    private async Task<string?> ManifestUsesAsync(JobSource? source, CancellationToken cancellationToken)
    {
        if (source is not { Kind: JobSourceKind.Inbox, BlobName: { } name } || !InboxReader.IsImage(name))
        {
            return null;
        }

        var (mayGoOn, manifest) = await uses.ClaimForDropAsync(
            source.Container ?? PipelineStorage.InboxContainerName, name, cancellationToken);
        return mayGoOn ? null : manifest;
    }

    /// <summary>Runs a step before the claim, where a failure has sent nothing and may be retried by the orchestration.</summary>
    private static async Task<T> Before<T>(Func<Task<T>> step)
    {
        try
        {
            return await step();
        }
        catch (Exception e) when (e is not OperationCanceledException and not NothingSubmittedException)
        {
            throw new NothingSubmittedException($"the job could not be prepared: {e.Message}", e);
        }
    }

    /// <summary>What the activity knows of the job once its request is read.</summary>
    private sealed record SubmittedJob(
        string JobId,
        int Attempt,
        VideoMode Mode,
        JobCost? Cost,
        string? EndUserId,
        IReadOnlyDictionary<string, string>? Correlation,
        string? OutputBlob,
        string? Prompt)
    {
        public SubmitToFalOutcome Outcome(SubmitToFalOutcome outcome) =>
            outcome with
            {
                Mode = Mode,
                Cost = Cost,
                EndUserId = EndUserId,
                Correlation = Correlation,
                OutputBlob = OutputBlob,
                Prompt = Prompt,
            };

        public SubmitRecord Record(DateTimeOffset claimedAt) =>
            new(JobId, Attempt, SubmitState.Sending, claimedAt)
            {
                Mode = Mode,
                Cost = Cost,
                EndUserId = EndUserId,
                Correlation = Correlation,
                OutputBlob = OutputBlob,
                Prompt = Prompt,
            };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} submitted to fal as {FalRequestId}")]
    private partial void LogSubmitted(string jobId, string falRequestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: submit {Attempt} ran before ({State}); nothing is sent again")]
    private partial void LogRerun(string jobId, int attempt, SubmitState state);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Job {JobId}: submit {Attempt} sends nothing; fal has the job as {FalRequestId} from an earlier submit")]
    private partial void LogEarlierAtFal(string jobId, int attempt, string falRequestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} not submitted: {Reason}")]
    private partial void LogOverBudget(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Job {JobId}: the submit's answer was lost ({Reason}); waiting for fal's webhook before submitting again")]
    private partial void LogOutcomeUnknown(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} not accepted by fal (status {Status}, {ErrorCode})")]
    private partial void LogRefused(string jobId, int? status, string? errorCode);
}
