using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using FalEmulator.Model;
using FalEmulator.Recording;
using FalEmulator.Tests.Support;

namespace FalEmulator.Tests.Api;

/// <summary>fal's request history, <c>GET /v1/models/requests/by-endpoint</c>: filters, pages, keys and payloads.</summary>
public sealed class RequestHistoryApiTests
{
    private const string T2V = SeedanceEndpoints.TextToVideo;
    private static readonly object Video = new { prompt = "History", resolution = "480p", duration = "4" };

    private static CancellationToken Token => EmulatorClient.Token;

    /// <summary>An input the model refuses at once (no prompt): the request ends 422 without rendering.</summary>
    private static object Refused(int seed) => new { resolution = "480p", duration = "4", seed };

    private static string Endpoint(string id) => "endpoint_id=" + Uri.EscapeDataString(id);

    private static DateTimeOffset At(JsonNode? item, string field) =>
        DateTimeOffset.Parse(item![field]!.GetValue<string>(), CultureInfo.InvariantCulture);

    [Fact]
    public async Task List_EndedRequests_AnswersFalsItemsNewestFirst()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var refused = await fal.EndedAsync(T2V, Refused(1));
        var rendered = await fal.EndedAsync(T2V, Video);

        var (status, listing) = await fal.ListAsync(Endpoint(T2V));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([rendered, refused], HistoryCalls.Ids(listing));
        Assert.False(listing["has_more"]!.GetValue<bool>());
        Assert.True(listing.ContainsKey("next_cursor"));
        Assert.Null(listing["next_cursor"]);
        var item = listing["items"]![0]!.AsObject();
        Assert.Equal(T2V, item["endpoint_id"]!.GetValue<string>());
        Assert.Equal(200, item["status_code"]!.GetValue<int>());
        Assert.Equal(422, listing["items"]![1]!["status_code"]!.GetValue<int>());
        Assert.True(At(item, "sent_at") <= At(item, "started_at") && At(item, "started_at") <= At(item, "ended_at"));
        Assert.Equal((At(item, "ended_at") - At(item, "sent_at")).TotalSeconds, item["duration"]!.GetValue<double>(), 0.002);
        Assert.EndsWith("Z", item["ended_at"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(item.ContainsKey("json_input")); // only with expand=payloads
        Assert.False(item.ContainsKey("json_output"));
    }

    [Fact]
    public async Task List_QueuedOrRunningRequest_AppearsOnlyOnceItHasEnded()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var (_, queued, _) = await fal.SubmitAsync(T2V, Video, faults: "queue=600s");
        var id = queued["request_id"]!.GetValue<string>();

        Assert.Empty(HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V))).Body));

        await fal.PutAsync(queued["cancel_url"]!.GetValue<string>());
        var (_, listing) = await fal.ListAsync(Endpoint(T2V));

        var item = Assert.Single(listing["items"]!.AsArray())!;
        Assert.Equal(id, item["request_id"]!.GetValue<string>());
        Assert.Equal(499, item["status_code"]!.GetValue<int>());
        Assert.Null(item["started_at"]); // cancelled while queued: it never ran
        Assert.Equal([id], HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V) + "&status=user_error")).Body));
    }

    [Fact]
    public async Task List_ByStatus_SuccessIs2xxUserErrorIs4xxErrorIs5xx()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var succeeded = await fal.EndedAsync(T2V, Video);
        var failed = await fal.EndedAsync(T2V, Video, faults: "result=error");
        var refused = await fal.EndedAsync(T2V, Refused(1));

        Assert.Equal([succeeded], HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V) + "&status=success")).Body));
        Assert.Equal([failed], HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V) + "&status=error")).Body));
        Assert.Equal([refused], HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V) + "&status=user_error")).Body));
    }

    [Fact]
    public async Task List_SeveralEndpointIds_RepeatedOrCommaSeparated_ListsTheirRequestsOnly()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var text = await fal.EndedAsync(T2V, Refused(1));
        var image = await fal.EndedAsync(SeedanceEndpoints.ImageToVideo, Refused(2));
        await fal.EndedAsync(SeedanceEndpoints.ReferenceToVideo, Refused(3));
        var both = new HashSet<string> { text, image };

        Assert.Equal([text], HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V))).Body));
        var commaSeparated = await fal.ListAsync(Endpoint(T2V) + "," + Uri.EscapeDataString(SeedanceEndpoints.ImageToVideo));
        Assert.Equal(both, [.. HistoryCalls.Ids(commaSeparated.Body)]);
        var repeated = await fal.ListAsync(Endpoint(T2V) + "&" + Endpoint(SeedanceEndpoints.ImageToVideo));
        Assert.Equal(both, [.. HistoryCalls.Ids(repeated.Body)]);
        Assert.Empty(HistoryCalls.Ids((await fal.ListAsync(Endpoint("bytedance/seedance-2.0"))).Body)); // ids match whole
    }

    [Fact]
    public async Task List_WithALimit_PagesThroughEveryRequestOnceByCursor()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await fal.EndedAsync(T2V, Refused(i)));
        }

        var seen = new List<string>();
        var cursors = new List<string?>();
        string? cursor = null;
        do
        {
            var (status, page) =
                await fal.ListAsync(Endpoint(T2V) + "&limit=2" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            Assert.Equal(HttpStatusCode.OK, status);
            seen.AddRange(HistoryCalls.Ids(page));
            cursor = page["next_cursor"]?.GetValue<string>();
            cursors.Add(cursor);
            Assert.Equal(cursor is not null, page["has_more"]!.GetValue<bool>());
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Reverse(ids), seen);
        Assert.Equal(["Mg==", "Mw==", null], cursors); // fal's cursor: the next page's number in base64
    }

    [Fact]
    public async Task List_Window_StartIsInclusiveAndEndExclusiveByEndTime()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var older = await fal.EndedAsync(T2V, Refused(1));
        var newer = await fal.EndedAsync(T2V, Refused(2));
        var (_, all) = await fal.ListAsync(Endpoint(T2V));
        var newerEnd = all["items"]![0]!["ended_at"]!.GetValue<string>();

        Assert.Equal([newer], HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V) + "&start=" + Uri.EscapeDataString(newerEnd))).Body));
        Assert.Equal([older], HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V) + "&end=" + Uri.EscapeDataString(newerEnd))).Body));
        var tomorrow = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture); // a date alone is accepted
        Assert.Empty(HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V) + "&start=" + tomorrow)).Body));
    }

    [Fact]
    public async Task List_ByRequestId_FindsThatRequestOnly()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var wanted = await fal.EndedAsync(T2V, Refused(1));
        await fal.EndedAsync(T2V, Refused(2));

        Assert.Equal([wanted], HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V) + "&request_id=" + wanted)).Body));
        Assert.Equal([wanted], HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V) + "&request_id=" + wanted.ToUpperInvariant())).Body));
        Assert.Empty(HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V) + "&request_id=" + Guid.NewGuid())).Body));
    }

    [Fact]
    public async Task List_SortByDuration_LongestFirst()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var slow = await fal.EndedAsync(T2V, Refused(1), faults: "queue=40s"); // 400 ms at this time scale
        var quick = await fal.EndedAsync(T2V, Refused(2));

        Assert.Equal([quick, slow], HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V))).Body));
        Assert.Equal([quick, slow], HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V) + "&sort_by=ended_at")).Body));
        Assert.Equal([slow, quick], HistoryCalls.Ids((await fal.ListAsync(Endpoint(T2V) + "&sort_by=duration")).Body));
    }

    [Fact]
    public async Task List_ExpandPayloads_AddsTheInputAsSubmittedAndTheResultUntilDeleted()
    {
        await using var fal = await EmulatorClient.StartAsync();
        const string body = """{ "prompt": "History [emulator: run=1s]", "resolution": "480p", "duration": "4", "extra": { "n": 1.50 } }""";
        using var submit = new HttpRequestMessage(HttpMethod.Post, "/" + T2V) { Content = EmulatorClient.Json(body) };
        using var submitted = await fal.Http.SendAsync(submit, Token);
        var queued = await EmulatorClient.ReadAsync(submitted);
        var id = queued["request_id"]!.GetValue<string>();
        await fal.WaitForCompletionAsync(queued["status_url"]!.GetValue<string>());

        var item = (await fal.ListAsync(Endpoint(T2V) + "&expand=payloads")).Body["items"]![0]!;

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(body), item["json_input"]));
        Assert.Equal("""{"n":1.50}""", item["json_input"]!["extra"]!.ToJsonString()); // the submitted text, not a re-encoding
        Assert.StartsWith(
            fal.Host.BaseAddress.ToString().TrimEnd('/') + "/files/", item["json_output"]!["video"]!["url"]!.GetValue<string>(),
            StringComparison.Ordinal);

        using var delete = new HttpRequestMessage(HttpMethod.Delete, $"/v1/models/requests/{id}/payloads");
        delete.Headers.Authorization = new AuthenticationHeaderValue("Key", HistoryCalls.AdminKey);
        (await fal.Http.SendAsync(delete, Token)).Dispose();
        var after = (await fal.ListAsync(Endpoint(T2V) + "&expand=payloads")).Body["items"]![0]!.AsObject();

        Assert.True(after.ContainsKey("json_input"));
        Assert.Null(after["json_input"]);
        Assert.Null(after["json_output"]);
    }

    [Fact]
    public async Task List_Keys_QueueAndAdminKeysAreAcceptedOthersGet401()
    {
        await using var fal = await EmulatorClient.StartAsync();

        var (withQueueKey, _) = await fal.ListAsync(Endpoint(T2V));
        var (withAdminKey, _) = await fal.ListAsync(Endpoint(T2V), HistoryCalls.AdminKey);
        var (withoutKey, missing) = await fal.ListAsync(Endpoint(T2V), "");
        var (withWrongKey, wrong) = await fal.ListAsync(Endpoint(T2V), "someone:else");

        Assert.Equal(HttpStatusCode.OK, withQueueKey);
        Assert.Equal(HttpStatusCode.OK, withAdminKey);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey);
        Assert.Equal("Missing authorization header", missing["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, withWrongKey);
        Assert.Equal("No user found for Key ID and Secret", wrong["detail"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("", "endpoint_id", "missing")]
    [InlineData("endpoint_id=", "endpoint_id", "missing")]
    [InlineData("endpoint_id=a/b&limit=0", "limit", "greater_than_equal")]
    [InlineData("endpoint_id=a/b&limit=101", "limit", "less_than_equal")]
    [InlineData("endpoint_id=a/b&limit=ten", "limit", "int_parsing")]
    [InlineData("endpoint_id=a/b&status=failed", "status", "enum")]
    [InlineData("endpoint_id=a/b&sort_by=started_at", "sort_by", "enum")]
    [InlineData("endpoint_id=a/b&expand=billing", "expand", "enum")]
    [InlineData("endpoint_id=a/b&start=yesterday", "start", "datetime_parsing")]
    [InlineData("endpoint_id=a/b&end=2025-13-01", "end", "datetime_parsing")]
    [InlineData("endpoint_id=a/b&request_id=r-1", "request_id", "uuid_parsing")]
    [InlineData("endpoint_id=a/b&cursor=%21%21", "cursor", "value_error")]
    [InlineData("endpoint_id=a/b&cursor=MA%3D%3D", "cursor", "value_error")] // page 0
    public async Task List_BadQuery_Answers422NamingTheParameter(string query, string parameter, string type)
    {
        await using var fal = await EmulatorClient.StartAsync();

        var (status, body) = await fal.ListAsync(query);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        var detail = Assert.Single(body["detail"]!.AsArray())!;
        Assert.Equal(["query", parameter], detail["loc"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal(type, detail["type"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(detail["msg"]!.GetValue<string>()));
    }

    [Fact]
    public async Task List_MoreThan50EndpointIds_Answers422()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var ids = string.Join(',', Enumerable.Range(0, 51).Select(i => $"owner/app-{i}"));

        var (fifty, _) = await fal.ListAsync("endpoint_id=" + string.Join(',', Enumerable.Range(0, 50).Select(i => $"owner/app-{i}")));
        var (status, body) = await fal.ListAsync("endpoint_id=" + ids);

        Assert.Equal(HttpStatusCode.OK, fifty);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("too_long", body["detail"]![0]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task List_IsRecordedAsAListRequestsCall()
    {
        await using var fal = await EmulatorClient.StartAsync();

        await fal.ListAsync(Endpoint(T2V) + "&limit=5");

        var call = Assert.Single(fal.Host.Recorder.Calls, c => c.Kind == CallKind.ListRequests);
        Assert.Equal("/v1/models/requests/by-endpoint", call.Path);
        Assert.Contains("limit=5", call.Query, StringComparison.Ordinal);
        Assert.Equal(200, call.StatusCode);
    }
}
