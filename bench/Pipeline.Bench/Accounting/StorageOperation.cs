using System.Text.RegularExpressions;
using Azure.Core;

namespace Pipeline.Bench.Accounting;

/// <summary>
/// Names a storage request the way the price list sorts it (blob: write, read, list, delete; queue: each message
/// operation, an empty dequeue apart, since that is the engine polling; table: every entity operation and batch), with
/// the container, queue or table it touched; the task hub's name is written <c>&lt;hub&gt;</c>.
/// </summary>
public static partial class StorageOperation
{
    public static string Of(string service, HttpMessage message)
    {
        var request = message.Request;
        var method = request.Method.Method;
        var segments = request.Uri.Path.Trim('/').Split('/');
        var resource = Hub(segments.Length > 1 ? segments[1] : "(account)");
        var query = request.Uri.Query;
        return service switch
        {
            "blob" => $"{BlobOperation(method, query)} {resource}{Folder(segments)}",
            "queue" => $"{QueueOperation(method, query, segments, message)} {resource}",
            _ => $"{TableOperation(method, resource)} {TableName(resource)}",
        };
    }

    private static string BlobOperation(string method, string query) => method switch
    {
        "GET" or "HEAD" when query.Contains("comp=list", StringComparison.Ordinal) => "list",
        "GET" or "HEAD" => "read",
        "DELETE" => "delete",
        _ => "write",
    };

    /// <summary>The pipeline's records are told apart by their first folder (jobs/submits, jobs/open…).</summary>
    private static string Folder(string[] segments) => segments.Length > 3 && segments[1] == "jobs" ? "/" + segments[2] : "";

    private static string QueueOperation(string method, string query, string[] segments, HttpMessage message)
    {
        var messages = segments.Length > 2 && segments[2] == "messages";
        if (!messages)
        {
            return method == "GET" || method == "HEAD" ? "metadata" : "queue admin";
        }

        return method switch
        {
            "POST" => "put message",
            "DELETE" => "delete message",
            "PUT" => "update message",
            "GET" when query.Contains("peekonly=true", StringComparison.Ordinal) => "peek",
            "GET" => IsEmptyDequeue(message) ? "get messages (empty)" : "get messages",
            _ => "other",
        };
    }

    private static bool IsEmptyDequeue(HttpMessage message)
    {
        try
        {
            return !message.Response.Content.ToString().Contains("<QueueMessage>", StringComparison.Ordinal);
        }
        catch (InvalidOperationException)
        {
            return false; // not buffered: cannot tell
        }
    }

    private static string TableOperation(string method, string resource) => method switch
    {
        "POST" when resource == "$batch" => "batch",
        "GET" => "query",
        "POST" => "insert",
        "DELETE" => "delete",
        _ => "update",
    };

    private static string TableName(string resource) => TableKey().Match(resource) is { Success: true } m ? m.Groups[1].Value : resource;

    /// <summary>Task hubs are named per run (bench1a2b3c4d…): one name for all of them.</summary>
    private static string Hub(string resource) => HubName().Replace(resource, "<hub>");

    [GeneratedRegex(@"^(?:bench|ceiling)[0-9a-f]{8}", RegexOptions.IgnoreCase)]
    private static partial Regex HubName();

    [GeneratedRegex(@"^([^(]+)")]
    private static partial Regex TableKey();
}
