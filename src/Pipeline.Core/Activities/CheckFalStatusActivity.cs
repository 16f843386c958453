using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;

namespace Pipeline.Core.Activities;

/// <param name="NotFound">fal answered 404: it does not know the request (any more).</param>
public sealed record FalPoll(FalRequestState State, int? QueuePosition, FalCompletion? Completion, bool NotFound = false);

/// <summary>
/// The polling fallback: asks fal for the request's status and, once COMPLETED, for its result, so a job whose webhook
/// never came still finishes. A request fal does not know comes back as <see cref="FalPoll.NotFound"/>; transient
/// failures throw (the orchestration polls again later).
/// </summary>
public sealed class CheckFalStatusActivity(FalQueueClient fal, FetchFalResultActivity results) : IPipelineActivity<FalRequestRef, FalPoll>
{
    public const string Name = "CheckFalStatus";

    public async Task<FalPoll> RunAsync(FalRequestRef input, CancellationToken cancellationToken)
    {
        FalRequestStatus status;
        try
        {
            status = await fal.GetStatusAsync(input.StatusUrl, cancellationToken);
        }
        catch (FalApiException e) when (e.Status == 404)
        {
            return new FalPoll(FalRequestState.InQueue, null, null, NotFound: true);
        }

        if (status.State != FalRequestState.Completed)
        {
            return new FalPoll(status.State, status.QueuePosition, null);
        }

        var completion = await results.ReadAsync(input.RequestId, input.ResponseUrl, (status.Error, status.ErrorType), cancellationToken);
        return new FalPoll(FalRequestState.Completed, null, completion);
    }
}
