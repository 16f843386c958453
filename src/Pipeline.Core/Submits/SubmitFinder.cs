using Microsoft.Extensions.Options;
using Pipeline.Core.Activities;
using Pipeline.Core.Fal;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Submits;

/// <summary>
/// Finds a job's submits whose answer was lost, so that the job adopts them instead of paying for another: a submit
/// record fal's answer completed, a webhook that named a request for the job, or fal's request history
/// (<c>GET /v1/models/requests/by-endpoint</c>), searched by the endpoint and the time of each unanswered claim and
/// matched by the <see cref="FalInputFingerprint"/> the claim recorded. fal lists a request there once it has ended
/// (its docs do not say it lists queued or running ones), so a lost submit still running is found only later. A
/// request found is recorded in the claim (accepted), so every later look, and the reconciler, knows it.
/// </summary>
public partial class SubmitFinder(SubmitLedger submits, FalQueueClient fal, IOptions<FalQueueClientOptions> falOptions, TimeProvider time,
    ILogger<SubmitFinder> logger)
{
    /// <summary>How far before a claim the history is searched (clocks differ), and how many pages at most.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(2);
    private const int MaxPages = 10;

    /// <summary>
    /// An earlier submit of the job that fal has and that has not <paramref name="ended"/> without a video, or null (also
    /// when fal's history cannot be read).
    /// </summary>
    public virtual async Task<FalRequestRef?> EarlierAtFalAsync(
        string jobId, VideoMode mode, IReadOnlyCollection<string> ended, CancellationToken cancellationToken)
    {
        var records = await submits.ListAsync(jobId, cancellationToken);
        var open = records.FirstOrDefault(
            r => r.State == SubmitState.Accepted && r.Request is not null && !ended.Contains(r.Request.RequestId));
        if (open?.Request is { } accepted)
        {
            return accepted;
        }

        if ((await submits.DeliveredAsync(jobId, cancellationToken)).FirstOrDefault(id => !ended.Contains(id)) is { } delivered)
        {
            return RequestFor(mode.EndpointId(), delivered);
        }

        return await SearchAsync(records, cancellationToken) is { Found: [var first, ..] } ? first.Request : null;
    }

    /// <summary>The job's lost submits that fal's history now shows (each recorded as accepted).</summary>
    public virtual async Task<FalSearch> FindLostAsync(string jobId, CancellationToken cancellationToken) =>
        await SearchAsync(await submits.ListAsync(jobId, cancellationToken), cancellationToken);

    private async Task<FalSearch> SearchAsync(IReadOnlyList<SubmitRecord> records, CancellationToken cancellationToken)
    {
        var known = records.Select(r => r.Request?.RequestId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var found = new List<FoundSubmit>();
        try
        {
            var claims = records.Where(r => r.State == SubmitState.Sending && r.EndpointId is not null && r.InputFingerprint is not null);
            foreach (var claim in claims)
            {
                if (await FindAsync(claim, known, cancellationToken) is { } requestId)
                {
                    var request = RequestFor(claim.EndpointId!, requestId);
                    await submits.AdoptAsync(claim, request, cancellationToken);
                    known.Add(requestId);
                    found.Add(new FoundSubmit(claim.Attempt, request));
                    LogFound(claim.JobId, claim.Attempt, requestId);
                }
            }

            return new FalSearch(found, Readable: true);
        }
        catch (FalApiException e)
        {
            LogUnreadable(records.Count > 0 ? records[0].JobId : null, e.Message);
            return new FalSearch(found, Readable: false, e.Message, FalAway: e.IsRetryable);
        }
    }

    /// <summary>
    /// The id of a request fal lists for the claim's endpoint since its time, with its input, that the job does not
    /// know yet.
    /// </summary>
    private async Task<string?> FindAsync(SubmitRecord claim, HashSet<string> known, CancellationToken cancellationToken)
    {
        string? cursor = null;
        for (var page = 0; page < MaxPages; page++)
        {
            var listed = await fal.ListRequestsAsync(new FalRequestHistoryQuery
            {
                EndpointIds = [claim.EndpointId!],
                Start = claim.ClaimedAt - ClockSkew,
                End = time.GetUtcNow() + ClockSkew,
                IncludePayloads = true,
                Limit = FalRequestHistoryQuery.MaxLimit,
                Cursor = cursor,
            }, cancellationToken);
            var match = listed.Items.FirstOrDefault(item => !known.Contains(item.RequestId)
                && item.JsonInput is { } input && FalInputFingerprint.Of(input) == claim.InputFingerprint);
            if (match is not null || !listed.HasMore || listed.NextCursor is null)
            {
                return match?.RequestId;
            }

            cursor = listed.NextCursor;
        }

        return null;
    }

    private FalRequestRef RequestFor(string endpointId, string requestId)
    {
        var baseUrl = falOptions.Value.BaseUrl;
        return new FalRequestRef(requestId, FalQueueClient.StatusUrlFor(baseUrl, endpointId, requestId),
            FalQueueClient.ResponseUrlFor(baseUrl, endpointId, requestId), FalQueueClient.CancelUrlFor(baseUrl, endpointId, requestId));
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Job {JobId}: lost submit {Attempt} found in fal's request history as {FalRequestId}; adopted")]
    private partial void LogFound(string jobId, int attempt, string falRequestId);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Job {JobId}: fal's request history could not be read ({Reason}); waiting for a webhook instead")]
    private partial void LogUnreadable(string? jobId, string reason);
}
