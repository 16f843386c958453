using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FalEmulator.Model;

namespace FalEmulator.History;

/// <summary>
/// The query of <c>GET /v1/models/requests/by-endpoint</c> as fal's docs state it ("List requests by endpoint(s)").
/// A request counts as in the window by its end time, the time the listing sorts by.
/// </summary>
/// <param name="Start">Inclusive.</param>
/// <param name="End">Exclusive.</param>
/// <param name="Status">One of <see cref="HistoryStatus"/>'s names, or null for all.</param>
/// <param name="RequestId">In uuid's canonical form, or null for all.</param>
public sealed partial record RequestHistoryQuery(
    IReadOnlyList<string> EndpointIds,
    DateTimeOffset Start,
    DateTimeOffset End,
    string? Status,
    string? RequestId)
{
    public const int MaxEndpointIds = 50;
    public const int DefaultLimit = 50;
    public const int MaxLimit = 100;

    public int Limit { get; init; } = DefaultLimit;

    /// <summary>1-based; fal's cursor encodes the page number (its example: <c>Mg==</c>, base64 of "2").</summary>
    public int Page { get; init; } = 1;

    public HistorySort SortBy { get; init; } = HistorySort.EndedAt;

    /// <summary>With <c>expand=payloads</c>: each request's input and output.</summary>
    public bool Payloads { get; init; }

    /// <summary>Without <c>start</c>: the last 24 hours, or 90 days when looking for one request id.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromHours(24);

    public static readonly TimeSpan RequestIdWindow = TimeSpan.FromDays(90);

    /// <summary>
    /// Reads the query string; returns null and fills <paramref name="errors"/> (one per bad parameter, located as
    /// <c>["query", name]</c>, the way fal's validation answers name a field) when any parameter is wrong.
    /// </summary>
    public static RequestHistoryQuery? Parse(IQueryCollection query, DateTimeOffset now, List<FalErrorDetail> errors)
    {
        var endpointIds = Listed(query, "endpoint_id").Distinct(StringComparer.Ordinal).ToList();
        if (endpointIds.Count == 0)
        {
            errors.Add(Error("endpoint_id", "missing", "Field required"));
        }
        else if (endpointIds.Count > MaxEndpointIds)
        {
            errors.Add(Error("endpoint_id", "too_long",
                $"List should have at most {MaxEndpointIds} items after validation, not {endpointIds.Count}",
                new JsonObject { ["max_length"] = MaxEndpointIds, ["actual_length"] = endpointIds.Count }));
        }

        var requestId = Single(query, "request_id") is { } rawId
            ? Guid.TryParse(rawId, out var id) ? id.ToString("D")
                : Refused<string>(errors, "request_id", "uuid_parsing", "Input should be a valid UUID")
            : null;
        var start = Timestamp(query, "start", errors);
        var end = Timestamp(query, "end", errors) ?? now;
        var status = Single(query, "status") is { } rawStatus
            ? HistoryStatus.All.Contains(rawStatus, StringComparer.Ordinal) ? rawStatus
                : Refused<string>(errors, "status", "enum", $"Input should be {string.Join(", ", HistoryStatus.All.Select(s => $"'{s}'"))}")
            : null;
        var sortBy = Single(query, "sort_by") switch
        {
            null or "ended_at" => HistorySort.EndedAt,
            "duration" => HistorySort.Duration,
            _ => Refused(errors, "sort_by", "enum", "Input should be 'ended_at' or 'duration'", HistorySort.EndedAt),
        };
        var expand = Listed(query, "expand").ToList();
        if (expand.Any(e => e != "payloads"))
        {
            errors.Add(Error("expand", "enum", "Input should be 'payloads'"));
        }

        var limit = DefaultLimit;
        if (Single(query, "limit") is { } rawLimit)
        {
            if (!int.TryParse(rawLimit, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out limit))
            {
                errors.Add(Error("limit", "int_parsing", "Input should be a valid integer, unable to parse string as an integer"));
            }
            else if (limit is < 1 or > MaxLimit)
            {
                errors.Add(limit < 1
                    ? Error("limit", "greater_than_equal", "Input should be greater than or equal to 1", new JsonObject { ["ge"] = 1 })
                    : Error("limit", "less_than_equal", $"Input should be less than or equal to {MaxLimit}",
                        new JsonObject { ["le"] = MaxLimit }));
            }
        }

        var page = 1;
        if (Single(query, "cursor") is { } cursor)
        {
            if (PageOf(cursor) is { } cursorPage)
            {
                page = cursorPage;
            }
            else
            {
                errors.Add(Error("cursor", "value_error", "Invalid cursor"));
            }
        }

        if (errors.Count > 0)
        {
            return null;
        }

        var from = start ?? now - (requestId is null ? DefaultWindow : RequestIdWindow);
        return new RequestHistoryQuery(EndpointIds: endpointIds, Start: from, End: end, Status: status, RequestId: requestId)
        {
            Limit = limit,
            Page = page,
            SortBy = sortBy,
            Payloads = expand.Count > 0,
        };
    }

    /// <summary>The cursor of a page: base64 of its number, as in fal's example.</summary>
    public static string CursorOf(int page) => Convert.ToBase64String(Encoding.ASCII.GetBytes(page.ToString(CultureInfo.InvariantCulture)));

    private static int? PageOf(string cursor)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(cursor));
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var page) && page >= 1 ? page : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    // Lists come repeated (?endpoint_id=a&endpoint_id=b), comma-separated (?endpoint_id=a,b) or both, as fal's docs allow.
    private static IEnumerable<string> Listed(IQueryCollection query, string name) =>
        query[name].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    // A repeated single-valued parameter counts by its last value, as the usual query parsers do.
    private static string? Single(IQueryCollection query, string name) => query[name].LastOrDefault();

    // ISO 8601 only (a date, or a date and time with an optional offset); a time without an offset is UTC.
    private static DateTimeOffset? Timestamp(IQueryCollection query, string name, List<FalErrorDetail> errors)
    {
        if (Single(query, name) is not { } text)
        {
            return null;
        }

        if (Iso8601().IsMatch(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at;
        }

        errors.Add(Error(name, "datetime_parsing", "Input should be a valid datetime in ISO 8601 format"));
        return null;
    }

    private static T? Refused<T>(List<FalErrorDetail> errors, string name, string type, string message, T? fallback = default)
    {
        errors.Add(Error(name, type, message));
        return fallback;
    }

    private static FalErrorDetail Error(string name, string type, string message, JsonObject? ctx = null) =>
        FalErrorDetail.Create(["query", name], type, message, ctx);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:?\d{2})?)?$",
        RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Iso8601();
}
