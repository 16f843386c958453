using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;

namespace Pipeline.Core.Activities;

public sealed record FalPoll(FalRequestState State, int? QueuePosition, FalCompletion? Completion);

/// <summary>
/// The polling fallback: asks fal for the request's status and, once COMPLETED, for its result, so a job whose webhook
/// never came still finishes. Transient failures throw (the orchestration polls again later).
/// </summary>
public sealed class CheckFalStatusActivity(FalQueueClient fal) : IPipelineActivity<FalRequestRef, FalPoll>
{
    public const string Name = "CheckFalStatus";

    public async Task<FalPoll> RunAsync(FalRequestRef input, CancellationToken cancellationToken)
    {
        var status = await fal.GetStatusAsync(input.StatusUrl, cancellationToken);
        if (status.State != FalRequestState.Completed)
        {
            return new FalPoll(status.State, status.QueuePosition, null);
        }

        try
        {
            var result = await fal.GetResultAsync(input.ResponseUrl, cancellationToken);
            return new FalPoll(FalRequestState.Completed, null, new FalCompletion(
                input.RequestId, true, result.Video.Url.ToString(), result.Video.ContentType, result.Video.FileSize, result.Seed, null, null));
        }
        catch (FalApiException e) when (!e.IsRetryable || e.Status is >= 500)
        {
            // A completed request whose result is an error: fal's verdict, not a transient failure of ours.
            return new FalPoll(FalRequestState.Completed, null, new FalCompletion(
                input.RequestId, false, null, null, null, null, e.Message, e.ErrorCode ?? status.ErrorType));
        }
    }
}
