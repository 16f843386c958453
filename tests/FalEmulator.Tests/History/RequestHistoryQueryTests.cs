using FalEmulator.History;
using FalEmulator.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace FalEmulator.Tests.History;

/// <summary>The request history's query: the defaults fal documents, which no HTTP test can wait for.</summary>
public sealed class RequestHistoryQueryTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static RequestHistoryQuery? Parse(string query, List<FalErrorDetail>? errors = null) =>
        RequestHistoryQuery.Parse(new QueryCollection(QueryHelpers.ParseQuery(query)), Now, errors ?? []);

    [Fact]
    public void Parse_OnlyAnEndpoint_TheLast24HoursFirstPageOf50ByEndTime()
    {
        var query = Parse("?endpoint_id=a/b")!;

        Assert.Equal(["a/b"], query.EndpointIds);
        Assert.Equal(Now - TimeSpan.FromHours(24), query.Start);
        Assert.Equal(Now, query.End);
        Assert.Equal((50, 1, HistorySort.EndedAt, false), (query.Limit, query.Page, query.SortBy, query.Payloads));
        Assert.Null(query.Status);
        Assert.Null(query.RequestId);
    }

    [Fact]
    public void Parse_ARequestIdWithoutStart_WidensTheWindowTo90Days()
    {
        var id = Guid.NewGuid();

        var query = Parse($"?endpoint_id=a/b&request_id={id:N}")!;

        Assert.Equal(Now - TimeSpan.FromDays(90), query.Start);
        Assert.Equal(id.ToString("D"), query.RequestId);
        Assert.Equal(Now - TimeSpan.FromHours(24), Parse("?endpoint_id=a/b")!.Start);
    }

    [Fact]
    public void Parse_DatesAndOffsets_AreReadAsIso8601()
    {
        var query = Parse(
            "?endpoint_id=a/b&start=2026-12-01&end=2026-12-02T10:30:00%2B02:00&cursor=Mw%3D%3D&expand=payloads&sort_by=duration")!;

        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), query.Start);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 8, 30, 0, TimeSpan.Zero), query.End);
        Assert.Equal((3, true, HistorySort.Duration), (query.Page, query.Payloads, query.SortBy));
    }

    [Fact]
    public void Parse_SeveralBadParameters_NamesEachOne()
    {
        var errors = new List<FalErrorDetail>();

        Assert.Null(Parse("?limit=0&status=bad", errors));

        Assert.Equal(["endpoint_id", "status", "limit"], errors.Select(e => (string)e.Loc[1]));
    }

    [Fact]
    public void CursorOf_IsThePageNumberInBase64() => Assert.Equal("Mg==", RequestHistoryQuery.CursorOf(2));
}
