using Pipeline.Core.Api;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Activities;

public sealed record SubmitToFalInput(string JobId, VideoMode Mode, VideoRequest Request);

/// <summary>Where fal keeps a request: its id and the URLs fal answered the submit with.</summary>
public sealed record FalRequestRef(string RequestId, Uri StatusUrl, Uri ResponseUrl, Uri CancelUrl);

public sealed record SubmitToFalOutcome(FalRequestRef? Request, int? QueuePosition, JobError? Error);

/// <summary>
/// Submits the job to fal's queue with the job's webhook URL. Inbox files become read-only SAS URLs here, inside the
/// activity, so no signature reaches orchestration history. fal's refusals come back as data; a fal that stays
/// unreachable after the client's retries fails the job too, rather than risking a second billed submit.
/// </summary>
public sealed partial class SubmitToFalActivity(FalQueueClient fal, FalInputResolver inputs, WebhookUrls webhookUrls, ILogger<SubmitToFalActivity> logger)
    : IPipelineActivity<SubmitToFalInput, SubmitToFalOutcome>
{
    public const string Name = "SubmitToFal";

    public async Task<SubmitToFalOutcome> RunAsync(SubmitToFalInput input, CancellationToken cancellationToken)
    {
        var body = await inputs.ToFalInputAsync(input.Request, cancellationToken);
        try
        {
            var submitted = await fal.SubmitAsync(input.Mode.EndpointId(), body, webhookUrls.ForJob(input.JobId), cancellationToken);
            LogSubmitted(input.JobId, submitted.RequestId);
            return new SubmitToFalOutcome(
                new FalRequestRef(submitted.RequestId, submitted.StatusUrl, submitted.ResponseUrl, submitted.CancelUrl),
                submitted.QueuePosition,
                null);
        }
        catch (FalApiException e)
        {
            LogRefused(input.JobId, e.Status, e.ErrorCode);
            var code = e.IsRetryable ? "fal_unavailable" : "fal_rejected";
            return new SubmitToFalOutcome(null, null, new JobError(code, e.Message));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} submitted to fal as {FalRequestId}")]
    private partial void LogSubmitted(string jobId, string falRequestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} not accepted by fal (status {Status}, {ErrorCode})")]
    private partial void LogRefused(string jobId, int? status, string? errorCode);
}
