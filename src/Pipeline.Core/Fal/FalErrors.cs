using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipeline.Core.Fal;

/// <summary>Turns fal's answers and transport failures into <see cref="FalApiException"/>s.</summary>
internal static class FalErrors
{
    // Enough of fal's messages to act on; the full list stays in FalApiException.Detail.
    private const int MaxDetailsInMessage = 5;
    private const string Redacted = "[redacted]";

    /// <summary>The statuses worth another attempt when fal does not say (the official client's list plus 500).</summary>
    public static bool IsTransientStatus(int status) => status is 429 or 500 or 502 or 503 or 504;

    /// <summary>An error answer as an exception; <paramref name="attempts"/> is set when retries gave up.</summary>
    public static FalApiException FromAnswer(FalAnswer answer, string? requestId, string? key, int? attempts = null)
    {
        var json = FalJson.TryParseObject(answer.Body);
        var details = json is null ? [] : Details(json);
        var falMessage = details.Count > 0
            ? string.Join("; ", details.Take(MaxDetailsInMessage).Select(d => $"{d.Field}: {d.Message}"))
              + (details.Count > MaxDetailsInMessage ? $"; and {details.Count - MaxDetailsInMessage} more" : "")
            : json is null ? null : FlatMessage(json);
        var errorCode = details.FirstOrDefault(d => d.Type.Length > 0)?.Type
            ?? (json is null ? null : FalJson.String(json, "error_type"))
            ?? answer.ErrorTypeHeader;

        var status = answer.Status.ToString(CultureInfo.InvariantCulture);
        var message = string.IsNullOrWhiteSpace(falMessage)
            ? $"fal answered {status}{(answer.ReasonPhrase is { Length: > 0 } reason ? $" ({reason})" : "")}"
            : $"fal answered {status}: {falMessage}";
        if (attempts is { } tries)
        {
            message += GaveUp(tries);
        }

        // Every string taken from the answer is redacted: fal could echo anything it was sent.
        return new FalApiException(
            Redact(message, key),
            answer.Status,
            errorCode is null ? null : Redact(errorCode, key),
            answer.RequestIdHeader is { } header ? Redact(header, key) : requestId,
            answer.RetryableHeader ?? IsTransientStatus(answer.Status),
            details.Select(d => new FalErrorDetail(Redact(d.Field, key), Redact(d.Message, key), Redact(d.Type, key))).ToArray(),
            Redact(answer.Body, key));
    }

    /// <summary>fal could not be reached, or the connection broke, on every attempt.</summary>
    public static FalApiException Unreachable(string operation, string? requestId, int attempts, Exception exception, string? key) =>
        new(Redact($"fal {operation} failed: {exception.Message}{GaveUp(attempts)}", key),
            status: null, errorCode: null, requestId, isRetryable: true, innerException: exception);

    /// <summary>fal did not answer within the per-attempt timeout on every attempt.</summary>
    public static FalApiException TimedOut(string operation, string? requestId, int attempts, TimeSpan timeout, Exception exception) =>
        new($"fal {operation} did not answer within {timeout}{GaveUp(attempts)}",
            status: null, errorCode: null, requestId, isRetryable: true,
            innerException: new TimeoutException($"No answer within {timeout}", exception));

    /// <summary>A success status with a body this client cannot use (fal changed, or something else answered).</summary>
    /// <param name="keepBody">False when the body may hold what must not be logged (inputs with signed URLs).</param>
    public static FalApiException Unreadable(FalAnswer answer, string operation, string? requestId, string problem, string? key,
        bool keepBody = true) =>
        new(Redact($"fal answered {answer.Status.ToString(CultureInfo.InvariantCulture)} to {operation} but {problem}", key),
            answer.Status, errorCode: null, answer.RequestIdHeader is { } header ? Redact(header, key) : requestId, isRetryable: false,
            responseBody: keepBody ? Redact(answer.Body, key) : null);

    /// <summary>Whether the body is fal's <c>{ detail: [ … ] }</c> list.</summary>
    public static bool HasDetailList(string body) => FalJson.TryParseObject(body)?["detail"] is JsonArray;

    // A body that echoes the request must not leak the key through the exception, its ToString or a log of it.
    public static string Redact(string text, string? key)
    {
        if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(text))
        {
            return text;
        }

        text = text.Replace(key, Redacted, StringComparison.Ordinal);
        // fal keys are id:secret; the secret alone is as sensitive as the whole key.
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        return colon >= 0 && colon < key.Length - 1
            ? text.Replace(key[(colon + 1)..], Redacted, StringComparison.Ordinal)
            : text;
    }

    private static string GaveUp(int attempts) =>
        attempts > 1 ? $" (gave up after {attempts.ToString(CultureInfo.InvariantCulture)} attempts)" : "";

    private static List<FalErrorDetail> Details(JsonObject json)
    {
        if (json["detail"] is not JsonArray items)
        {
            return [];
        }

        var details = new List<FalErrorDetail>(items.Count);
        foreach (var item in items)
        {
            if (item is JsonObject entry)
            {
                details.Add(new FalErrorDetail(
                    FieldOf(entry["loc"] as JsonArray),
                    FalJson.Text(entry, "msg") ?? "",
                    FalJson.String(entry, "type") ?? ""));
            }
            else if (item is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            {
                details.Add(new FalErrorDetail("body", value.GetValue<string>(), ""));
            }
        }

        return details;
    }

    // The last name in loc, skipping list indexes, so ["body", "image_urls", 2] reports image_urls.
    private static string FieldOf(JsonArray? loc)
    {
        for (var i = (loc?.Count ?? 0) - 1; i >= 0; i--)
        {
            if (loc![i] is JsonValue value && value.GetValueKind() == JsonValueKind.String
                && value.GetValue<string>() is { Length: > 0 } name)
            {
                return name;
            }
        }

        return "body";
    }

    // fal's flat shape { detail: "...", error_type } and the generic { message } / { error } some gateways send.
    private static string? FlatMessage(JsonObject json) =>
        FalJson.String(json, "detail") ?? FalJson.String(json, "message") ?? FalJson.String(json, "error")
        ?? (json["detail"] is JsonObject nested ? nested.ToJsonString() : null);
}
