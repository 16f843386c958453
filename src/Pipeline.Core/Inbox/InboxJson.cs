using System.Text.Json.Nodes;
using Azure;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Inbox;

/// <summary>Reads a small JSON object from the inbox (a sidecar, a lone request, a folder preset): streamed and capped.</summary>
public static class InboxJson
{
    public const int MaxBytes = 256 * 1024;

    /// <returns>The object; or null with no problem when the blob does not exist; or a problem that names the file.</returns>
    public static async Task<(JsonObject? Json, string? Problem)> ReadAsync(
        PipelineStorage storage, string container, string name, CancellationToken cancellationToken)
    {
        try
        {
            // A request is a few lines of JSON, whatever size the blob claims.
            using var download = (await storage.Blob(container, name).DownloadStreamingAsync(cancellationToken: cancellationToken)).Value;
            if (download.Details.ContentLength > MaxBytes)
            {
                return (null, $"{name} is larger than 256 KB; a request is a few lines of JSON");
            }

            return await RequestJson.ReadAsync(download.Content, MaxBytes, cancellationToken) switch
            {
                RequestJson.Read.Parsed { Node: JsonObject obj } => (obj, null),
                RequestJson.Read.Parsed => (null, $"{name} must hold a JSON object"),
                RequestJson.Read.Invalid invalid => (null, $"{name} is not valid JSON: {invalid.Problem}"),
                _ => (null, $"{name} is larger than 256 KB; a request is a few lines of JSON"),
            };
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (null, null);
        }
    }
}
