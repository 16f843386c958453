using System.Text.Json.Nodes;

namespace Pipeline.Core.Fal;

/// <summary>
/// Reads a page of fal's request history. A page it cannot read in full is an error, not a shorter page: a caller
/// looking for a lost submit must not conclude "not there" from an item it skipped.
/// </summary>
internal static class FalRequestHistoryReader
{
    public static FalRequestHistoryPage Read(FalAnswer answer, string operation, string? requestId, string key)
    {
        var json = FalJson.TryParseObject(answer.Body)
            ?? throw Unreadable(answer, operation, requestId, "its body is not a JSON object", key);
        if (json["items"] is not JsonArray items)
        {
            throw Unreadable(answer, operation, requestId, "it has no items list", key);
        }

        var page = new List<FalRequestHistoryItem>(items.Count);
        foreach (var node in items)
        {
            if (node is not JsonObject item || FalJson.String(item, "request_id") is not { Length: > 0 } id
                || FalJson.String(item, "endpoint_id") is not { Length: > 0 } endpointId)
            {
                throw Unreadable(answer, operation, requestId, "an item has no request_id or endpoint_id", key);
            }

            page.Add(new FalRequestHistoryItem(
                RequestId: id,
                EndpointId: endpointId,
                StartedAt: FalJson.Timestamp(item, "started_at"),
                SentAt: FalJson.Timestamp(item, "sent_at"),
                EndedAt: FalJson.Timestamp(item, "ended_at"),
                StatusCode: FalJson.Int32(item, "status_code"),
                Duration: FalJson.Double(item, "duration") is { } seconds and >= 0 and < 1e9 ? TimeSpan.FromSeconds(seconds) : null)
            {
                JsonInput = Detached(item["json_input"]),
                JsonOutput = Detached(item["json_output"]),
            });
        }

        var nextCursor = FalJson.String(json, "next_cursor") is { Length: > 0 } cursor ? cursor : null;
        var hasMore = FalJson.Boolean(json, "has_more") ?? nextCursor is not null;
        if (hasMore && nextCursor is null)
        {
            throw Unreadable(answer, operation, requestId, "it says more requests follow but gives no next_cursor", key);
        }

        return new FalRequestHistoryPage(page, hasMore ? nextCursor : null, hasMore);
    }

    // A copy, so the item does not keep the whole answer alive through its parent.
    private static JsonObject? Detached(JsonNode? node) => node is JsonObject json ? json.DeepClone().AsObject() : null;

    // Without the body: with payloads it holds every listed input, and those may hold signed URLs.
    private static FalApiException Unreadable(FalAnswer answer, string operation, string? requestId, string problem, string key) =>
        FalErrors.Unreadable(answer, operation, requestId, problem, key, keepBody: false);
}
