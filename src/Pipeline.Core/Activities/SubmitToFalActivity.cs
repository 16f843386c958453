using Pipeline.Core.Api;
using Pipeline.Core.Costs;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Activities;

/// <param name="Request">The validated request; null for an inbox job, whose drop is read here.</param>
/// <param name="Announcement">The "submitted" event to publish once fal has accepted the job (the activity fills in fal's id, the mode and the time).</param>
/// <param name="CreatedAt">The job's creation: its cost counts on that UTC day.</param>
public sealed record SubmitToFalInput(string JobId, VideoMode Mode, VideoRequest? Request, JobSource? Source = null, JobEvent? Announcement = null, DateTimeOffset? CreatedAt = null);

/// <summary>Where fal keeps a request: its id and the URLs fal answered the submit with.</summary>
public sealed record FalRequestRef(string RequestId, Uri StatusUrl, Uri ResponseUrl, Uri CancelUrl);

/// <param name="Request">fal's request, or null when nothing was submitted (see <paramref name="Error"/> and <paramref name="Superseded"/>).</param>
/// <param name="Mode">The mode the job turned out to have (an inbox sidecar may choose it); null when unchanged.</param>
/// <param name="Superseded">The drop is a sidecar whose image starts the job instead; nothing was submitted.</param>
/// <param name="SubmittedAt">When fal accepted the job.</param>
/// <param name="Announced">The "submitted" event was published.</param>
/// <param name="OutcomeUnknown">The submit was sent but its answer lost: fal may have queued (and will bill) it.</param>
/// <param name="WaitingForSlot">The concurrency cap is reached: nothing was submitted; ask again later.</param>
/// <param name="Cost">The job's estimate, once its request is known.</param>
/// <param name="EndUserId">The request's <c>end_user_id</c> (an inbox job's comes from its sidecar or metadata).</param>
/// <param name="Correlation">The job's correlation map (an inbox job's comes from its sidecar or metadata).</param>
public sealed record SubmitToFalOutcome(
    FalRequestRef? Request, int? QueuePosition, JobError? Error, VideoMode? Mode = null, bool Superseded = false, DateTimeOffset? SubmittedAt = null, bool Announced = false,
    bool OutcomeUnknown = false, bool WaitingForSlot = false, JobCost? Cost = null, string? EndUserId = null, IReadOnlyDictionary<string, string>? Correlation = null,
    bool HoldsSlot = false);

/// <summary>
/// Reads an inbox drop into a request, submits the job to fal's queue with the job's webhook URL and announces it. One
/// activity for the three so that a job costs the durable engine as few turns as possible. Inbox files become
/// read-only SAS URLs here, so no signature reaches orchestration history. fal's refusals come back as data; a fal
/// that stays unreachable after the client's retries fails the job too, rather than risking a second billed submit.
/// A failure before anything was sent throws <see cref="NothingSubmittedException"/>, which the orchestration retries.
/// </summary>
public sealed partial class SubmitToFalActivity(
    FalQueueClient fal, InboxReader inbox, FalInputResolver inputs, WebhookUrls webhookUrls, JobAdmission admission, JobAnnouncer announcer, TimeProvider time,
    ILogger<SubmitToFalActivity> logger)
    : IPipelineActivity<SubmitToFalInput, SubmitToFalOutcome>
{
    public const string Name = "SubmitToFal";

    public async Task<SubmitToFalOutcome> RunAsync(SubmitToFalInput input, CancellationToken cancellationToken)
    {
        var mode = input.Mode;
        var request = input.Request;
        var createdAt = input.CreatedAt ?? time.GetUtcNow();
        IReadOnlyDictionary<string, string>? correlation = null;
        System.Text.Json.Nodes.JsonObject body;
        JobCost cost;
        try
        {
            if (request is null && input.Source is { Kind: JobSourceKind.Inbox } source)
            {
                var prepared = await inbox.PrepareAsync(source, cancellationToken);
                mode = prepared.Mode;
                if (prepared.Superseded)
                {
                    return new SubmitToFalOutcome(null, null, null, mode, Superseded: true);
                }

                if (prepared.Request is null)
                {
                    return new SubmitToFalOutcome(null, null, new JobError("invalid_request", prepared.Problem ?? "the drop does not make a valid request"), mode);
                }

                request = prepared.Request;
                correlation = prepared.Correlation;
            }

            if (request is null)
            {
                return new SubmitToFalOutcome(null, null, new JobError("invalid_request", "the job has no request"), mode);
            }

            // The caps are checked (and the estimate reserved) before anything is signed or sent.
            var admitted = await admission.AdmitAsync(input.JobId, createdAt, mode, request, cancellationToken);
            cost = admitted.Cost;
            if (admitted.Refusal is { } refusal)
            {
                LogOverBudget(input.JobId, refusal.Message);
                return new SubmitToFalOutcome(null, null, new JobError("budget_exceeded", refusal.Message), mode, Cost: cost, EndUserId: request.EndUserId, Correlation: correlation);
            }

            if (!admitted.HasSlot)
            {
                return new SubmitToFalOutcome(null, null, null, mode, WaitingForSlot: true, Cost: cost, EndUserId: request.EndUserId, Correlation: correlation);
            }

            body = await inputs.ToFalInputAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new NothingSubmittedException($"the job's inputs could not be read: {e.Message}", e);
        }

        FalSubmitResult submitted;
        try
        {
            submitted = await fal.SubmitAsync(mode.EndpointId(), body, webhookUrls.ForJob(input.JobId), cancellationToken);
        }
        catch (FalSubmitOutcomeUnknownException e)
        {
            // Possibly billed: the reservation and the slot stay with the job.
            LogOutcomeUnknown(input.JobId, e.Message);
            return new SubmitToFalOutcome(null, null, null, mode, OutcomeUnknown: true, Cost: cost, EndUserId: request.EndUserId, Correlation: correlation,
                HoldsSlot: admission.LimitsConcurrency);
        }
        catch (FalApiException e)
        {
            LogRefused(input.JobId, e.Status, e.ErrorCode);
            await admission.RefundAsync(input.JobId, createdAt, CancellationToken.None);
            var code = e.IsRetryable ? "fal_unavailable" : "fal_rejected";
            return new SubmitToFalOutcome(null, null, new JobError(code, e.Message), mode, Cost: cost, EndUserId: request.EndUserId, Correlation: correlation);
        }

        LogSubmitted(input.JobId, submitted.RequestId);
        var at = time.GetUtcNow();
        var announced = input.Announcement is { } planned && await announcer.TryPublishAsync(planned with
        {
            Time = at,
            Data = planned.Data with
            {
                Mode = mode,
                FalRequestId = submitted.RequestId,
                Timings = planned.Data.Timings with { SubmittedAt = at },
                EndUserId = request.EndUserId,
                Correlation = correlation ?? planned.Data.Correlation,
                VideoSeconds = cost.VideoSeconds,
                EstimatedCostUsd = cost.EstimatedUsd,
            },
        }, cancellationToken);
        return new SubmitToFalOutcome(
            new FalRequestRef(submitted.RequestId, submitted.StatusUrl, submitted.ResponseUrl, submitted.CancelUrl),
            submitted.QueuePosition,
            null,
            mode,
            SubmittedAt: at,
            Announced: announced,
            Cost: cost,
            EndUserId: request.EndUserId,
            Correlation: correlation,
            HoldsSlot: admission.LimitsConcurrency);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} submitted to fal as {FalRequestId}")]
    private partial void LogSubmitted(string jobId, string falRequestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} not submitted: {Reason}")]
    private partial void LogOverBudget(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the submit's answer was lost ({Reason}); waiting for fal's webhook before submitting again")]
    private partial void LogOutcomeUnknown(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} not accepted by fal (status {Status}, {ErrorCode})")]
    private partial void LogRefused(string jobId, int? status, string? errorCode);
}
