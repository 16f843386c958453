using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Messaging;

namespace Pipeline.LocalHost.Events;

/// <summary>
/// What an Event Grid topic does with a publish call, for every stand-in on one machine (the local host's sink, the
/// tests' and the benchmark's <see cref="LoopbackTopic"/>): the key in <c>aeg-sas-key</c>, then a batch or a single
/// event by the <see cref="TopicRules"/>, read into <see cref="ReceivedEvent"/>s. The real
/// <c>EventGridPublisherClient</c> with an <c>AzureKeyCredential</c> publishes to such a topic over plain http.
/// </summary>
/// <remarks>
/// Answers 200 (events taken), 401 (missing or wrong key), 415 (another content type, under
/// <see cref="TopicRules.CloudEvents"/>) or 400 (not JSON, the wrong JSON shape, or an event without the required
/// CloudEvents attributes).
/// </remarks>
public static class EventGridTopic
{
    /// <summary>The header Event Grid reads a topic access key from.</summary>
    public const string KeyHeader = "aeg-sas-key";

    public const string BatchMediaType = "application/cloudevents-batch+json";

    public const string SingleMediaType = "application/cloudevents+json";

    /// <summary>Reads a publish call; <paramref name="key"/> is the one it must carry (none: every call is refused).</summary>
    public static async Task<TopicPost> ReceiveAsync(
        HttpRequest request, string? key, TopicRules rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var arrivedAt = DateTimeOffset.UtcNow;
        string body;
        using (var reader = new StreamReader(request.Body))
        {
            body = await reader.ReadToEndAsync(cancellationToken);
        }

        var keyAccepted = !string.IsNullOrEmpty(key)
                          && string.Equals(request.Headers[KeyHeader].ToString(), key, StringComparison.Ordinal);
        var post = new TopicPost(request.ContentType, keyAccepted, StatusCodes.Status200OK, body, arrivedAt);
        if (!keyAccepted)
        {
            return post.Refused(StatusCodes.Status401Unauthorized, $"The request has no valid {KeyHeader} header.");
        }

        return rules == TopicRules.CloudEvents ? ReadCloudEvents(post) : ReadAnyJson(post);
    }

    private static TopicPost ReadCloudEvents(TopicPost post)
    {
        if (!MediaTypeHeaderValue.TryParse(post.ContentType, out var mediaType)
            || mediaType.MediaType is not (BatchMediaType or SingleMediaType))
        {
            return post.Refused(StatusCodes.Status415UnsupportedMediaType,
                $"Content type '{post.ContentType}' is not {BatchMediaType} or {SingleMediaType}.");
        }

        var batch = mediaType.MediaType == BatchMediaType;
        try
        {
            using var document = JsonDocument.Parse(post.Body);
            var expected = batch ? JsonValueKind.Array : JsonValueKind.Object;
            if (document.RootElement.ValueKind != expected)
            {
                return post.Refused(StatusCodes.Status400BadRequest, $"A {mediaType.MediaType} body must be a JSON {expected}.");
            }

            var parsed = CloudEvent.ParseMany(BinaryData.FromString(post.Body));
            string[] raw = batch
                ? [.. document.RootElement.EnumerateArray().Select(e => e.GetRawText())]
                : [document.RootElement.GetRawText()];
            if (parsed.Length == 0 || parsed.Length != raw.Length)
            {
                return post.Refused(StatusCodes.Status400BadRequest, "The batch holds no events.");
            }

            return post with { Events = [.. parsed.Zip(raw, (e, r) => new ReceivedEvent(r, e))] };
        }
        catch (Exception e) when (e is JsonException or ArgumentException or FormatException)
        {
            return post.Refused(StatusCodes.Status400BadRequest, "Not valid CloudEvents 1.0: " + e.Message);
        }
    }

    private static TopicPost ReadAnyJson(TopicPost post)
    {
        try
        {
            using var document = JsonDocument.Parse(post.Body);
            var root = document.RootElement;
            IEnumerable<JsonElement> objects = root.ValueKind switch
            {
                JsonValueKind.Array => root.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object),
                JsonValueKind.Object => [root],
                _ => [],
            };
            return post with { Events = [.. objects.Select(e => new ReceivedEvent(e.GetRawText(), null))] };
        }
        catch (JsonException e)
        {
            return post.Refused(StatusCodes.Status400BadRequest, "Not JSON: " + e.Message);
        }
    }
}
