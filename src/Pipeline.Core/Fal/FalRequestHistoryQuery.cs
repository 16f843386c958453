using System.Globalization;
using System.Text;

namespace Pipeline.Core.Fal;

/// <summary>
/// A question to fal's request history (<c>GET {AdminBaseUrl}/v1/models/requests/by-endpoint</c>, docs page "List
/// requests by endpoint(s)"). Expect a request to appear only once it has ended: fal's docs do not say whether queued
/// or running requests are listed, but the status filter names only ended states and the listing sorts by end time.
/// </summary>
public sealed record FalRequestHistoryQuery
{
    /// <summary>fal's limits: at most 50 endpoint ids per call, at most 100 requests per page.</summary>
    public const int MaxEndpointIds = 50;

    public const int MaxLimit = 100;

    /// <summary>The full endpoint ids (<c>bytedance/seedance-2.0/fast/text-to-video</c>), 1 to 50.</summary>
    public required IReadOnlyList<string> EndpointIds { get; init; }

    /// <summary>
    /// Inclusive; null for fal's default, the last 24 hours (90 days when <see cref="RequestId"/> is set). Sent in whole
    /// seconds: <see cref="Start"/> is rounded down and <see cref="End"/> up, so the window only ever grows.
    /// </summary>
    public DateTimeOffset? Start { get; init; }

    /// <summary>Exclusive; null for now.</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>Only requests that ended so; null for all.</summary>
    public FalRequestHistoryStatus? Status { get; init; }

    /// <summary>Only this request (a uuid, as fal's request ids are).</summary>
    public string? RequestId { get; init; }

    /// <summary>Requests per page, 1 to 100; null for fal's default of 50.</summary>
    public int? Limit { get; init; }

    /// <summary>The previous page's <see cref="FalRequestHistoryPage.NextCursor"/>; opaque.</summary>
    public string? Cursor { get; init; }

    /// <summary>Null for fal's default, by end time.</summary>
    public FalRequestHistorySort? SortBy { get; init; }

    /// <summary>Adds each request's input and result (<c>expand=payloads</c>).</summary>
    public bool IncludePayloads { get; init; }

    /// <summary>The query string, without <c>?</c>; throws <see cref="ArgumentException"/> for a query fal would refuse.</summary>
    internal string ToQueryString(string paramName)
    {
        if (EndpointIds is not { Count: > 0 and <= MaxEndpointIds })
        {
            throw new ArgumentException($"A request history query names 1 to {MaxEndpointIds} endpoint ids.", paramName);
        }

        if (Limit is < 1 or > MaxLimit)
        {
            throw new ArgumentException($"A request history page holds 1 to {MaxLimit} requests.", paramName);
        }

        if (Start >= End)
        {
            throw new ArgumentException("The request history window must start before it ends.", paramName);
        }

        if ((RequestId is not null && string.IsNullOrWhiteSpace(RequestId)) || (Cursor is not null && string.IsNullOrWhiteSpace(Cursor)))
        {
            throw new ArgumentException("A request id or cursor must not be blank.", paramName);
        }

        var query = new StringBuilder();
        foreach (var endpointId in EndpointIds)
        {
            // Checked like a submit's id; repeated rather than comma-joined, one of the two forms fal accepts.
            Add(query, "endpoint_id", string.Join('/', FalQueueClient.EndpointSegments(endpointId, paramName)));
        }

        Add(query, "start", Start is { } start ? Iso(start.UtcDateTime) : null);
        Add(query, "end", End is { } end ? Iso(RoundUpToSecond(end.UtcDateTime)) : null);
        Add(query, "status", Status switch
        {
            null => null,
            FalRequestHistoryStatus.Success => "success",
            FalRequestHistoryStatus.Error => "error",
            FalRequestHistoryStatus.UserError => "user_error",
            _ => throw new ArgumentException($"Unknown status {Status}.", paramName),
        });
        Add(query, "request_id", RequestId?.Trim());
        Add(query, "sort_by", SortBy switch
        {
            null => null,
            FalRequestHistorySort.EndedAt => "ended_at",
            FalRequestHistorySort.Duration => "duration",
            _ => throw new ArgumentException($"Unknown sort {SortBy}.", paramName),
        });
        Add(query, "expand", IncludePayloads ? "payloads" : null);
        Add(query, "limit", Limit?.ToString(CultureInfo.InvariantCulture));
        Add(query, "cursor", Cursor);
        return query.ToString();
    }

    private static void Add(StringBuilder query, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        query.Append(query.Length == 0 ? "" : "&").Append(name).Append('=').Append(Uri.EscapeDataString(value));
    }

    // ISO 8601 in whole seconds, as fal's docs show it (the format truncates, i.e. rounds down).
    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static DateTime RoundUpToSecond(DateTime utc)
    {
        var remainder = utc.Ticks % TimeSpan.TicksPerSecond;
        return remainder == 0 ? utc : utc.AddTicks(TimeSpan.TicksPerSecond - remainder);
    }
}
