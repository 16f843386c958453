using System.Net;
using System.Net.Http.Headers;
using Pipeline.Core.Fal;

namespace Pipeline.UnitTests.Fal;

/// <summary>fal's request history: <c>GET {AdminBaseUrl}/v1/models/requests/by-endpoint</c>.</summary>
public sealed class FalQueueClientHistoryTests
{
    private const string SignedUrl = "https://store.example/in.png?sig=S1gn4tur3";
    private static readonly Uri AdminBaseUrl = new("https://api.fal.test");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static FalRequestHistoryQuery Query => new() { EndpointIds = [FalClientHarness.Endpoint] };

    private static FalClientHarness Harness()
    {
        var harness = new FalClientHarness();
        harness.Options.AdminBaseUrl = AdminBaseUrl;
        return harness;
    }

    private static string Page(string items = "[]", string tail = """ "next_cursor": null, "has_more": false """) =>
        $$"""{ "items": {{items}}, {{tail}} }""";

    private static readonly string Item = $$"""
        {
          "request_id": "{{FalClientHarness.RequestId}}",
          "endpoint_id": "{{FalClientHarness.Endpoint}}",
          "started_at": "2026-12-06T10:00:05.250000Z",
          "sent_at": "2026-12-06T10:00:01Z",
          "ended_at": "2026-12-06T10:00:08Z",
          "status_code": 200,
          "duration": 7.8,
          "json_input": { "prompt": "A kangaroo", "image_url": "{{SignedUrl}}" },
          "json_output": { "video": { "url": "https://v3b.fal.media/files/b/out.mp4" }, "seed": 7 },
          "runner_id": "something new"
        }
        """;

    [Fact]
    public async Task ListRequestsAsync_EveryFilter_BuildsFalsQueryOnThePlatformApiWithTheFalKey()
    {
        var harness = Harness();
        harness.Options.AdminKey = "admin-id:admin-secret";
        harness.Handler.Respond(HttpStatusCode.OK, Page());
        var query = new FalRequestHistoryQuery
        {
            EndpointIds = [FalClientHarness.Endpoint, "bytedance/seedance-2.0/fast/text-to-video"],
            Start = new DateTimeOffset(2026, 12, 6, 11, 0, 0, 900, TimeSpan.FromHours(1)),
            End = new DateTimeOffset(2026, 12, 6, 11, 0, 0, 100, TimeSpan.Zero),
            Status = FalRequestHistoryStatus.UserError,
            RequestId = FalClientHarness.RequestId,
            Limit = 20,
            Cursor = "Mg==",
            SortBy = FalRequestHistorySort.Duration,
            IncludePayloads = true,
        };

        await harness.CreateClient().ListRequestsAsync(query, Token);

        var sent = Assert.Single(harness.Handler.Requests);
        Assert.Equal(HttpMethod.Get, sent.Method);
        Assert.Equal(
            "https://api.fal.test/v1/models/requests/by-endpoint"
            + "?endpoint_id=bytedance%2Fseedance-2.0%2Ffast%2Fimage-to-video&endpoint_id=bytedance%2Fseedance-2.0%2Ffast%2Ftext-to-video"
            + "&start=2026-12-06T10%3A00%3A00Z&end=2026-12-06T11%3A00%3A01Z" // the window widened to whole seconds
            + $"&status=user_error&request_id={FalClientHarness.RequestId}&sort_by=duration&expand=payloads&limit=20&cursor=Mg%3D%3D",
            sent.Uri.AbsoluteUri);
        Assert.Equal(new AuthenticationHeaderValue("Key", FalClientHarness.Key), sent.Authorization); // not the admin key
    }

    [Fact]
    public async Task ListRequestsAsync_OnlyEndpoints_SendsOnlyThemAndKeepsTheBasePath()
    {
        var harness = Harness();
        harness.Options.AdminBaseUrl = new Uri("https://api.fal.test/proxy/");
        harness.Handler.Respond(HttpStatusCode.OK, Page());

        await harness.CreateClient().ListRequestsAsync(
            Query with { Start = new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero) }, Token);

        Assert.Equal(
            "https://api.fal.test/proxy/v1/models/requests/by-endpoint?endpoint_id=bytedance%2Fseedance-2.0%2Ffast%2Fimage-to-video"
            + "&start=2026-12-06T10%3A00%3A00Z",
            Assert.Single(harness.Handler.Requests).Uri.AbsoluteUri);
    }

    [Fact]
    public async Task ListRequestsAsync_APage_ReadsEveryFieldAndTheCursor()
    {
        var harness = Harness();
        harness.Handler.Respond(HttpStatusCode.OK, Page($"[{Item}]", """ "next_cursor": "Mg==", "has_more": true, "total": 9 """));

        var page = await harness.CreateClient().ListRequestsAsync(Query with { IncludePayloads = true }, Token);

        var item = Assert.Single(page.Items);
        Assert.Equal((FalClientHarness.RequestId, FalClientHarness.Endpoint), (item.RequestId, item.EndpointId));
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 10, 0, 5, 250, TimeSpan.Zero), item.StartedAt);
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 10, 0, 1, TimeSpan.Zero), item.SentAt);
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 10, 0, 8, TimeSpan.Zero), item.EndedAt);
        Assert.Equal(200, item.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7.8), item.Duration);
        Assert.Equal(SignedUrl, item.JsonInput!["image_url"]!.GetValue<string>());
        Assert.Null(item.JsonInput.Parent); // detached from the answer
        Assert.Equal(7, item.JsonOutput!["seed"]!.GetValue<int>());
        Assert.Equal(("Mg==", true), (page.NextCursor, page.HasMore));
    }

    [Fact]
    public async Task ListRequestsAsync_ALooseItem_ReadsWhatItCanAndLeavesTheRestNull()
    {
        var harness = Harness();
        harness.Handler.Respond(HttpStatusCode.OK, Page($$"""
            [ { "request_id": "r-1", "endpoint_id": "{{FalClientHarness.Endpoint}}", "started_at": null, "sent_at": "yesterday",
                "ended_at": "2026-12-06T10:00:08", "status_code": "499", "duration": "n/a", "json_input": "text" } ]
            """, """ "next_cursor": null """));

        var page = await harness.CreateClient().ListRequestsAsync(Query, Token);

        Assert.Equal(
            new FalRequestHistoryItem(
                "r-1", FalClientHarness.Endpoint, null, null, new DateTimeOffset(2026, 12, 6, 10, 0, 8, TimeSpan.Zero), 499, null),
            Assert.Single(page.Items));
        Assert.Equal((null, false), (page.NextCursor, page.HasMore));
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task ListRequestsAsync_TransientStatusThenAPage_IsRetried(HttpStatusCode transient)
    {
        var harness = Harness();
        harness.Handler.Respond(transient, """{ "detail": "Service Unavailable" }""").Respond(HttpStatusCode.OK, Page($"[{Item}]"));

        var page = await harness.CreateClient().ListRequestsAsync(Query, Token);

        Assert.Single(page.Items);
        Assert.Equal(2, harness.Handler.Requests.Count);
        Assert.Single(harness.Delays);
    }

    [Fact]
    public async Task ListRequestsAsync_TimeoutAndDroppedConnection_AreRetriedEachWithItsOwnTimeout()
    {
        var harness = Harness();
        harness.Options.RequestTimeout = TimeSpan.FromMilliseconds(50);
        harness.Handler.Hang().Throw(new HttpRequestException("Connection reset")).Respond(HttpStatusCode.OK, Page());

        var page = await harness.CreateClient().ListRequestsAsync(Query, Token);

        Assert.Empty(page.Items);
        Assert.Equal(3, harness.Handler.Requests.Count);
        Assert.Equal(2, harness.Delays.Count);
    }

    [Fact]
    public async Task ListRequestsAsync_UnavailableOnEveryAttempt_ThrowsARetryableFalApiException()
    {
        var harness = Harness();
        harness.Options.MaxRetries = 2;
        for (var i = 0; i < 3; i++)
        {
            harness.Handler.Respond(HttpStatusCode.ServiceUnavailable, """{ "detail": "Service Unavailable" }""");
        }

        var error = await Assert.ThrowsAsync<FalApiException>(() => harness.CreateClient().ListRequestsAsync(Query, Token));

        Assert.Equal(503, error.Status);
        Assert.True(error.IsRetryable);
        Assert.Equal(3, harness.Handler.Requests.Count);
        Assert.Contains("gave up after 3 attempts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListRequestsAsync_On401_ThrowsAtOnce()
    {
        var harness = Harness();
        harness.Handler.Respond(HttpStatusCode.Unauthorized, """{ "detail": "No user found for Key ID and Secret" }""");

        var error = await Assert.ThrowsAsync<FalApiException>(() => harness.CreateClient().ListRequestsAsync(Query, Token));

        Assert.Single(harness.Handler.Requests);
        Assert.Equal((401, false), (error.Status, error.IsRetryable));
        Assert.Equal("fal answered 401: No user found for Key ID and Secret", error.Message);
    }

    [Fact]
    public async Task ListRequestsAsync_On422_ThrowsWithTheParameterFalNamed()
    {
        var harness = Harness();
        harness.Handler.Respond(HttpStatusCode.UnprocessableEntity, """
            { "detail": [ { "loc": ["query", "limit"], "msg": "Input should be less than or equal to 100", "type": "less_than_equal" } ] }
            """);

        var error = await Assert.ThrowsAsync<FalApiException>(
            () => harness.CreateClient().ListRequestsAsync(Query with { Limit = 100 }, Token));

        Assert.Equal((422, "less_than_equal"), (error.Status, error.ErrorCode));
        Assert.Equal("limit", Assert.Single(error.Detail).Field);
    }

    [Theory]
    [InlineData("[]", "its body is not a JSON object")]
    [InlineData("""{ "requests": [] }""", "it has no items list")]
    [InlineData("""{ "items": [ { "endpoint_id": "a/b", "json_input": { "u": "https://store.example/in.png?sig=S1gn4tur3" } } ] }""",
        "an item has no request_id")]
    [InlineData("""{ "items": [ "r-1" ] }""", "an item has no request_id")]
    [InlineData("""{ "items": [], "has_more": true }""", "gives no next_cursor")]
    public async Task ListRequestsAsync_UnreadablePage_ThrowsWithoutTheBody(string body, string problem)
    {
        var harness = Harness();
        harness.Handler.Respond(HttpStatusCode.OK, body);

        var error = await Assert.ThrowsAsync<FalApiException>(() =>
            harness.CreateClient().ListRequestsAsync(Query with { IncludePayloads = true }, Token));

        Assert.Single(harness.Handler.Requests); // the same answer would come again
        Assert.Equal((200, false), (error.Status, error.IsRetryable));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Null(error.ResponseBody); // it may hold inputs with signed URLs
    }

    private static readonly FalRequestHistoryQuery[] RefusedQueries =
    [
        new FalRequestHistoryQuery { EndpointIds = [] },
        new FalRequestHistoryQuery { EndpointIds = [.. Enumerable.Range(0, 51).Select(i => $"owner/app-{i}")] },
        new FalRequestHistoryQuery { EndpointIds = ["bytedance/../admin"] },
        new FalRequestHistoryQuery { EndpointIds = ["seedance"] },
        Query with { Limit = 0 },
        Query with { Limit = 101 },
        Query with { Start = DateTimeOffset.UnixEpoch.AddDays(1), End = DateTimeOffset.UnixEpoch },
        Query with { RequestId = " " },
        Query with { Cursor = "" },
    ];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public async Task ListRequestsAsync_AQueryFalWouldRefuse_ThrowsArgumentExceptionWithoutSending(int refused)
    {
        var harness = Harness();

        await Assert.ThrowsAsync<ArgumentException>(
            "query", () => harness.CreateClient().ListRequestsAsync(RefusedQueries[refused], Token));

        Assert.Empty(harness.Handler.Requests);
    }

    [Fact]
    public async Task ListRequestsAsync_CallerCancelled_SendsNothing()
    {
        var harness = Harness();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.CreateClient().ListRequestsAsync(Query, cancelled.Token));

        Assert.Empty(harness.Handler.Requests);
    }

    [Fact]
    public async Task ListRequestsAsync_CallerCancelsDuringABackoff_StopsRetrying()
    {
        var harness = Harness();
        using var caller = new CancellationTokenSource();
        harness.OnDelay = async (_, token) =>
        {
            await caller.CancelAsync();
            token.ThrowIfCancellationRequested();
        };
        harness.Handler.Respond(HttpStatusCode.ServiceUnavailable);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.CreateClient().ListRequestsAsync(Query, caller.Token));

        Assert.Single(harness.Handler.Requests);
    }

    [Fact]
    public async Task ListRequestsAsync_WithPayloadsAndFailures_NeverLogsTheKeyOrAnInput()
    {
        var harness = Harness();
        harness.Options.MaxRetries = 1;
        harness.Handler
            .Respond(HttpStatusCode.InternalServerError, $$"""{ "detail": "bad key {{FalClientHarness.Key}}" }""")
            .Respond(HttpStatusCode.OK, Page($"[{Item}]"));
        var client = harness.CreateClient();

        await client.ListRequestsAsync(Query with { IncludePayloads = true }, Token);

        Assert.Contains(harness.Logger.Entries, e => e.EventId.Id == 6);
        foreach (var entry in harness.Logger.Entries)
        {
            Assert.DoesNotContain(FalClientHarness.KeySecret, entry.AllText, StringComparison.Ordinal);
            Assert.DoesNotContain("S1gn4tur3", entry.AllText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ListRequestsAsync_NoKey_ThrowsInvalidOperationExceptionWithoutSending()
    {
        var harness = Harness();
        harness.Options.Key = null;
        harness.Options.AdminKey = "admin-id:admin-secret"; // not a stand-in for the fal key

        await Assert.ThrowsAsync<InvalidOperationException>(() => harness.CreateClient().ListRequestsAsync(Query, Token));

        Assert.Empty(harness.Handler.Requests);
    }
}
