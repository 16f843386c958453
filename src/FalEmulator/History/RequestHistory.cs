using System.Globalization;
using System.Text.Json.Nodes;
using FalEmulator.Queue;

namespace FalEmulator.History;

/// <summary>
/// What fal's request history shows of the instance's requests: one page of those a query matches, and each as an
/// item <c>{ request_id, endpoint_id, started_at, sent_at, ended_at, status_code, duration, json_input?, json_output? }</c>.
/// </summary>
public static class RequestHistory
{
    /// <summary>
    /// The page the query asks for, and whether more follow. Only requests that have ended are listed: fal's docs do not
    /// say whether queued or running ones appear, but the status filter names only ended states and the listing sorts
    /// by end time, so a caller must expect a request to show up only once it has ended (and no sooner than its
    /// <c>history_delay</c>). Requests with <c>history=hidden</c> never show up.
    /// </summary>
    public static (IReadOnlyList<QueuedRequest> Page, bool HasMore) Select(
        IEnumerable<QueuedRequest> requests, RequestHistoryQuery query, DateTimeOffset now, Func<TimeSpan, TimeSpan> scale)
    {
        var matching = requests
            .Where(r => r is { State: RequestState.Completed, CompletedAt: not null, Outcome: not null })
            .Where(r => !r.Faults.HistoryHidden && r.CompletedAt!.Value + scale(r.Faults.HistoryDelay) <= now)
            .Where(r => query.EndpointIds.Contains(r.EndpointId, StringComparer.Ordinal))
            .Where(r => r.CompletedAt >= query.Start && r.CompletedAt < query.End)
            .Where(r => query.Status is null || HistoryStatus.Of(r.Outcome!.StatusCode) == query.Status)
            .Where(r => query.RequestId is null || string.Equals(r.RequestId, query.RequestId, StringComparison.OrdinalIgnoreCase));
        var ordered = query.SortBy == HistorySort.Duration
            ? matching.OrderByDescending(Duration).ThenByDescending(r => r.Sequence)
            : matching.OrderByDescending(r => r.CompletedAt).ThenByDescending(r => r.Sequence);
        // fal's cursor is a page number: a request ending between two calls shifts the pages by one, as at fal.
        var skipped = ordered.Skip((query.Page - 1) * query.Limit).Take(query.Limit + 1).ToList();
        return (skipped.Take(query.Limit).ToList(), skipped.Count > query.Limit);
    }

    /// <summary>One item; with <paramref name="payloads"/> also the input as submitted and the result body (null once deleted).</summary>
    public static JsonObject Describe(QueuedRequest request, bool payloads)
    {
        var item = new JsonObject
        {
            ["request_id"] = request.RequestId,
            ["endpoint_id"] = request.EndpointId,
            ["started_at"] = Timestamp(request.StartedAt),
            ["sent_at"] = Timestamp(request.SubmittedAt),
            ["ended_at"] = Timestamp(request.CompletedAt),
            ["status_code"] = request.Outcome?.StatusCode,
            ["duration"] = Math.Round(Duration(request), 3),
        };
        if (payloads)
        {
            var deleted = request.PayloadsDeletedAt is not null;
            item["json_input"] = deleted || request.SubmittedBody is not { } body ? null : JsonNode.Parse(body);
            item["json_output"] = deleted ? null : request.Outcome?.Body.DeepClone();
        }

        return item;
    }

    /// <summary>
    /// Seconds from the submit to the end, queue time included: fal's example (sent 00:01, started 00:05, ended
    /// 00:08, duration 7.8) fits that and not the run time alone.
    /// </summary>
    private static double Duration(QueuedRequest request) =>
        ((request.CompletedAt ?? request.SubmittedAt) - request.SubmittedAt).TotalSeconds;

    // UTC with microseconds: fal's examples show whole seconds, but a finer time keeps ended_at usable as a window bound.
    private static string? Timestamp(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
