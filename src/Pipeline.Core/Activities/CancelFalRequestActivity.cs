using Pipeline.Core.Fal;

namespace Pipeline.Core.Activities;

/// <summary>Asks fal to cancel a request (removed if queued, signalled if running); true unless fal could not be reached.</summary>
public sealed partial class CancelFalRequestActivity(FalQueueClient fal, ILogger<CancelFalRequestActivity> logger)
    : IPipelineActivity<FalRequestRef, bool>
{
    public const string Name = "CancelFalRequest";

    public async Task<bool> RunAsync(FalRequestRef input, CancellationToken cancellationToken)
    {
        try
        {
            var outcome = await fal.CancelAsync(input.CancelUrl, cancellationToken);
            LogCancelled(input.RequestId, outcome);
            return true;
        }
        catch (FalApiException e)
        {
            LogCancelFailed(input.RequestId, e.Status);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancel of fal request {FalRequestId}: {Outcome}")]
    private partial void LogCancelled(string falRequestId, FalCancelOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cancel of fal request {FalRequestId} failed (status {Status})")]
    private partial void LogCancelFailed(string falRequestId, int? status);
}
