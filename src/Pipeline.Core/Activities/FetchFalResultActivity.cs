using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Telemetry;

namespace Pipeline.Core.Activities;

/// <param name="ResponseUrl">fal's result URL from the submit's answer; null when the answer was lost (built from the id).</param>
public sealed record FalResultQuery(string RequestId, VideoMode Mode, Uri? ResponseUrl) : IDescribesJob
{
    (VideoMode? Mode, string? EndUserId, string? FalRequestId) IDescribesJob.Describe() => (Mode, null, RequestId);
}

/// <summary>
/// Fetches a finished request's result from fal: for a webhook that said OK without the video (fal could not serialize
/// its payload) and for the poll. fal's verdict comes back as a <see cref="FalCompletion"/> (the video, or the model's
/// error); a failure of the call itself (5xx from fal's gateway, a timeout) throws, to be tried again: the video is
/// paid for, so it is not given up on a transient error.
/// </summary>
public sealed class FetchFalResultActivity(FalQueueClient fal) : IPipelineActivity<FalResultQuery, FalCompletion>
{
    public const string Name = "FetchFalResult";

    public Task<FalCompletion> RunAsync(FalResultQuery input, CancellationToken cancellationToken) =>
        ReadAsync(
            input.RequestId,
            input.ResponseUrl ?? fal.ResponseUrlFor(input.Mode.EndpointId(), input.RequestId),
            null,
            cancellationToken);

    /// <param name="failure">fal's error on the request's COMPLETED status, when it reported one: the result then replays it.</param>
    public async Task<FalCompletion> ReadAsync(
        string requestId, Uri responseUrl, (string? Error, string? Type)? failure, CancellationToken cancellationToken)
    {
        try
        {
            var result = await fal.GetResultAsync(responseUrl, cancellationToken);
            return new FalCompletion(
                requestId, true, result.Video.Url.ToString(), result.Video.ContentType, result.Video.FileSize, result.Seed, null, null);
        }
        catch (FalApiException e) when (IsVerdict(e, failure))
        {
            return new FalCompletion(requestId, false, null, null, null, null, e.Message, e.ErrorCode ?? failure?.Type);
        }
    }

    /// <summary>
    /// The model's failure replayed (fal's error type or detail list, a status that reported an error) or a refusal
    /// that asking again cannot change; not a gateway's 5xx, a timeout or a "still in progress".
    /// </summary>
    private static bool IsVerdict(FalApiException e, (string? Error, string? Type)? failure) =>
        failure is { } f && (f.Error is not null || f.Type is not null)
        || e.ErrorCode is not null
        || e.Detail.Count > 0
        || (!e.IsRetryable && e.Status is not (400 or 404) && e.Status is not null);
}
