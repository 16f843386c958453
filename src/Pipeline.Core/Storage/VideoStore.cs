using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Storage;

/// <summary>
/// Writes results into the videos container: the video streamed from fal's CDN straight into a block blob (never the
/// whole file in memory), and error markers for inbox jobs that end without a video.
/// </summary>
public partial class VideoStore(
    PipelineStorage storage,
    IHttpClientFactory httpClientFactory,
    MediaDownloadPolicy downloads,
    TimeProvider time,
    ILogger<VideoStore> logger)
{
    /// <summary>The HttpClient that downloads fal's output files.</summary>
    public const string HttpClientName = "fal-media";

    public const string ErrorMarkerSuffix = ".error.json";

    public virtual async Task<StoredVideo> StoreAsync(VideoToStore input, CancellationToken cancellationToken)
    {
        var blob = storage.Videos.GetBlobClient(input.OutputBlob);
        var existing = await PropertiesOrNullAsync(blob, cancellationToken);
        if (existing is not null && existing.Metadata.TryGetValue("fal_request_id", out var stored) && stored == input.FalRequestId)
        {
            // A retried activity (or a replay after a crash) finds the video already there.
            return View(blob.Name, blob.Uri, existing.ContentType, existing.ContentLength);
        }

        using var response = await DownloadAsync(new Uri(input.VideoUrl), cancellationToken);
        var contentType = response.Content.Headers.ContentType?.MediaType ?? input.ContentType ?? "video/mp4";
        long[] expected = [.. new[] { response.Content.Headers.ContentLength, input.FileSize }.OfType<long>().Distinct()];
        await using var body = new VerifiedVideoStream(await response.Content.ReadAsStreamAsync(cancellationToken), expected);

        var metadata = Metadata(input);
        await blob.UploadAsync(body, new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Metadata = metadata,
            // Blocks of 4 MiB, two in flight: memory stays bounded whatever the video's size.
            TransferOptions = new StorageTransferOptions
            {
                InitialTransferSize = 4 * 1024 * 1024,
                MaximumTransferSize = 4 * 1024 * 1024,
                MaximumConcurrency = 2,
            },
        }, cancellationToken);

        // The upload committed every byte the verified stream gave, with the type it was told: no read back needed.
        LogStored(input.JobId, blob.Name, body.BytesRead);
        await storage.Videos.GetBlobClient(ErrorMarkerName(input.OutputBlob)).DeleteIfExistsAsync(cancellationToken: cancellationToken);
        return View(blob.Name, blob.Uri, contentType, body.BytesRead);
    }

    /// <summary>Azure refuses a blob whose metadata (names and values) passes 8 KiB; a paid video must never be refused for it.</summary>
    public const int MaxMetadataBytes = 8 * 1024;

    /// <summary>
    /// The video's metadata, most important first; an entry that would pass <see cref="MaxMetadataBytes"/> is left out
    /// and named in <c>metadata_omitted</c> (the status API and the events carry every value anyway).
    /// </summary>
    public static Dictionary<string, string> Metadata(VideoToStore input)
    {
        var entries = new List<KeyValuePair<string, string>>
        {
            new("job_id", input.JobId),
            new("fal_request_id", input.FalRequestId),
            new("mode", input.Mode.Slug()),
        };
        if (input.Seed is { } seed)
        {
            entries.Add(new("seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        // Metadata travels as HTTP headers: ASCII only, so free text is percent-encoded.
        entries.Add(new("source", Uri.EscapeDataString(input.Source.ToString())));
        if (input.EndUserId is { } endUser)
        {
            entries.Add(new("end_user_id", Uri.EscapeDataString(endUser)));
        }

        foreach (var (key, value) in input.Correlation ?? new Dictionary<string, string>())
        {
            entries.Add(new("correlation_" + key, Uri.EscapeDataString(value))); // keys are checked to be identifiers (Correlation)
        }

        const string OmittedKey = "metadata_omitted";
        var metadata = new Dictionary<string, string>();
        var omitted = new List<string>();
        var budget = MaxMetadataBytes - OmittedKey.Length - 256; // room to name what was left out
        foreach (var (key, value) in entries)
        {
            if (key.Length + value.Length <= budget)
            {
                metadata[key] = value;
                budget -= key.Length + value.Length;
            }
            else
            {
                omitted.Add(key);
            }
        }

        if (omitted.Count > 0)
        {
            var names = string.Join(",", omitted);
            metadata[OmittedKey] = names.Length <= 256 ? names : names[..256];
        }

        return metadata;
    }

    /// <summary>GET with redirects followed by hand, each hop checked against the download policy.</summary>
    private async Task<HttpResponseMessage> DownloadAsync(Uri url, CancellationToken cancellationToken)
    {
        var client = httpClientFactory.CreateClient(HttpClientName);
        for (var hop = 0; ; hop++)
        {
            downloads.EnsureAllowed(url);
            var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location && hop < 5)
            {
                url = location.IsAbsoluteUri ? location : new Uri(url, location);
                response.Dispose();
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                response.Dispose();
                throw new HttpRequestException($"the video download answered {status}", null, (System.Net.HttpStatusCode)status);
            }

            return response;
        }
    }

    public virtual Task<string> WriteErrorMarkerAsync(ErrorMarkerInput input, CancellationToken cancellationToken) =>
        WriteMarkerAsync(ErrorMarkerName(input.OutputBlob), new
        {
            job_id = input.JobId,
            source = input.Source.ToString(),
            outcome = input.Outcome,
            error = input.Error,
            fal_request_id = input.FalRequestId,
            written_at = time.GetUtcNow(),
        }, cancellationToken);

    /// <summary>
    /// The marker of a drop that starts no job: beside where its video would go, or, for a name that cannot be used as a
    /// path (<paramref name="outputBlob"/> null), in <c>_refused/</c> under a hash of the name (the name is inside).
    /// </summary>
    /// <param name="rows">For a manifest: every refused row and its errors by field.</param>
    public virtual Task<string> WriteRefusalAsync(
        string source,
        string? outputBlob,
        JobError reason,
        CancellationToken cancellationToken,
        IReadOnlyList<Jobs.RefusedRow>? rows = null) =>
        WriteMarkerAsync(outputBlob is null ? RefusedMarkerName(source) : ErrorMarkerName(outputBlob), new
        {
            job_id = (string?)null,
            source,
            outcome = "refused",
            error = reason,
            fal_request_id = (string?)null,
            rows = rows is { Count: > 0 } ? rows : null,
            written_at = time.GetUtcNow(),
        }, cancellationToken);

    /// <summary><c>_refused/{hash of the source}.error.json</c>: a name always safe to write, the same for the same drop.</summary>
    public static string RefusedMarkerName(string source) =>
        "_refused/"
        + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(source)))[..32]
        + ErrorMarkerSuffix;

    private async Task<string> WriteMarkerAsync(string name, object marker, CancellationToken cancellationToken)
    {
        var blob = storage.Videos.GetBlobClient(name);
        await blob.UploadAsync(BinaryData.FromObjectAsJson(marker, IndentedJson),
            new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                Tags = new Dictionary<string, string> { ["kind"] = "error-marker" }, // lets a lifecycle rule age markers out
            }, cancellationToken);
        return $"{storage.Videos.Name}/{name}";
    }

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    /// <summary><c>trips/photo.mp4</c> → <c>trips/photo.error.json</c>.</summary>
    public static string ErrorMarkerName(string outputBlob) =>
        (outputBlob.EndsWith(".mp4", StringComparison.OrdinalIgnoreCase) ? outputBlob[..^4] : outputBlob) + ErrorMarkerSuffix;

    private static StoredVideo View(string name, Uri url, string contentType, long size) =>
        new($"{PipelineStorage.VideosContainerName}/{name}", url.ToString(), contentType, size);

    private static async Task<BlobProperties?> PropertiesOrNullAsync(
        Azure.Storage.Blobs.BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            return (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: video stored as {Blob} ({Bytes} bytes)")]
    private partial void LogStored(string jobId, string blob, long bytes);
}
