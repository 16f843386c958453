using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Callbacks;

/// <summary>
/// Where a job's events are also delivered (<c>webhook_url</c>) and which of them (<c>webhook_events</c>: <c>submitted</c>,
/// <c>succeeded</c>, <c>failed</c>, <c>cancelled</c>; all when absent). The pipeline's fields, not sent to fal.
/// </summary>
public sealed record JobCallback(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("events")] IReadOnlyList<string>? Events = null)
{
    public const string UrlField = "webhook_url";

    public const string EventsField = "webhook_events";

    public const int MaxUrlLength = 2048;

    public static readonly IReadOnlyList<string> EventNames = ["submitted", "succeeded", "failed", "cancelled"];

    /// <summary>Whether an event of this CloudEvent type is wanted.</summary>
    public bool Wants(string eventType) =>
        Events is null || Events.Contains(eventType[(eventType.LastIndexOf('.') + 1)..].ToLowerInvariant(), StringComparer.Ordinal);

    /// <summary>The receiver's origin only: a URL may carry a secret in its path or query, which the status never shows.</summary>
    public string Origin => Uri.TryCreate(Url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : "";

    /// <summary>
    /// Removes the callback fields from <paramref name="body"/>; returns the callback (null when none) with any problem
    /// by field.
    /// </summary>
    public static JobCallback? Split(JsonObject body, CallbackOptions options, ValidationErrors errors)
    {
        body.Remove(UrlField, out var urlNode);
        body.Remove(EventsField, out var eventsNode);
        if (urlNode is null)
        {
            if (eventsNode is not null)
            {
                errors.Add(EventsField, $"needs {UrlField}");
            }

            return null;
        }

        var url = urlNode.GetValueKind() == JsonValueKind.String ? urlNode.GetValue<string>() : null;
        if (UrlProblem(url, options) is { } problem)
        {
            errors.Add(UrlField, problem);
            return null;
        }

        var before = errors.Count;
        var events = EventsOf(eventsNode, errors);
        return errors.Count == before ? new JobCallback(url!, events) : null;
    }

    private static string? UrlProblem(string? url, CallbackOptions options)
    {
        if (url is null || url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return $"must be an absolute https URL of at most {MaxUrlLength} characters";
        }

        if (uri.Scheme != Uri.UriSchemeHttps && !(options.AllowHttp && uri.Scheme == Uri.UriSchemeHttp))
        {
            return "must be an https URL";
        }

        if (uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
        {
            return "may not carry a user name, password or fragment";
        }

        // A literal address is judged now; a name is judged by every address it resolves to, when it is connected to.
        return !options.AllowPrivateTargets
            && System.Net.IPAddress.TryParse(uri.IdnHost, out var address)
            && !CallbackTargets.IsPublic(address)
            ? "must not point to a private, loopback or link-local address"
            : null;
    }

    private static List<string>? EventsOf(JsonNode? node, ValidationErrors errors)
    {
        if (node is null)
        {
            return null;
        }

        if (node is JsonArray list
            && list.Count > 0
            && list.All(e => e?.GetValueKind() == JsonValueKind.String && EventNames.Contains(e.GetValue<string>())))
        {
            return [.. list.Select(e => e!.GetValue<string>()).Distinct()];
        }

        if (node.GetValueKind() == JsonValueKind.String
            && node.GetValue<string>().Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } names
            && names.All(EventNames.Contains))
        {
            return [.. names.Distinct()]; // a form field, a CSV cell
        }

        errors.Add(EventsField, $"must be a list of {string.Join(", ", EventNames)}");
        return null;
    }
}
