using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Pipeline.Core.Costs;

/// <summary>
/// A small JSON document in a blob, changed only by read–modify–write with the blob's ETag: a writer that lost the race
/// reads again and retries, so counters shared by every instance of the app stay exact without a lock service.
/// </summary>
public static class StoredDocument
{
    private const int MaxAttempts = 50;

    /// <summary>
    /// Applies <paramref name="change"/> (which returns what the caller wants to know and whether anything changed)
    /// atomically.
    /// </summary>
    public static async Task<TResult> UpdateAsync<TDocument, TResult>(
        BlobClient blob,
        Func<TDocument> create,
        Func<TDocument, (TResult Result, bool Changed)> change,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (document, etag) = await ReadAsync(blob, create, cancellationToken);
            var (result, changed) = change(document);
            if (!changed)
            {
                return result;
            }

            var conditions = etag is { } tag
                ? new BlobRequestConditions { IfMatch = tag }
                : new BlobRequestConditions { IfNoneMatch = ETag.All };
            try
            {
                await blob.UploadAsync(BinaryData.FromObjectAsJson(document, JsonOptions), new BlobUploadOptions
                {
                    Conditions = conditions,
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                }, cancellationToken);
                return result;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // Another instance wrote first: read its version and apply the change again, after a short pause.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 + attempt)), cancellationToken);
            }
        }
    }

    public static async Task<(TDocument Document, ETag? ETag)> ReadAsync<TDocument>(
        BlobClient blob, Func<TDocument> create, CancellationToken cancellationToken)
    {
        try
        {
            var content = (await blob.DownloadContentAsync(cancellationToken)).Value;
            return (content.Content.ToObjectFromJson<TDocument>(JsonOptions) ?? create(), content.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (create(), null);
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
