using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Pipeline.Core.Options;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Storage;

/// <summary>
/// Turns a request into fal's input JSON: inbox files (<see cref="BlobReference"/>) become short-lived read-only SAS
/// URLs, or base64 data URIs when fal cannot reach the storage (a setting). Called only inside the submit activity.
/// </summary>
public class FalInputResolver(PipelineStorage storage, BlobUrlSigner signer, IOptions<PipelineOptions> options)
{
    public virtual async Task<JsonObject> ToFalInputAsync(VideoRequest request, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToNode(request)!.AsObject();
        foreach (var field in new[] { "image_urls", "video_urls", "audio_urls" })
        {
            if (body[field] is JsonArray { Count: 0 })
            {
                body.Remove(field); // fal's schema has them optional; an empty list is noise
            }
        }

        foreach (var (field, url) in request.Urls())
        {
            if (BlobReference.TryParse(url, out var reference))
            {
                var resolved = await ResolveAsync(reference, cancellationToken);
                SetField(body, field, resolved);
            }
        }

        return body;
    }

    private async Task<string> ResolveAsync(BlobReference reference, CancellationToken cancellationToken)
    {
        var blob = storage.Blob(reference.Container, reference.Name);
        if (!options.Value.SendInputsAsDataUris)
        {
            return (await signer.ReadUrlAsync(blob, options.Value.InputSasLifetime, cancellationToken)).ToString();
        }

        // Inputs are at most 30 MB (the seed's limit), so a data URI is bounded; streamed into base64 without a second copy.
        var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
        using var buffer = new MemoryStream();
        await using (var base64 = new System.Security.Cryptography.CryptoStream(
            buffer,
            new System.Security.Cryptography.ToBase64Transform(),
            System.Security.Cryptography.CryptoStreamMode.Write,
            leaveOpen: true))
        {
            await blob.DownloadToAsync(base64, cancellationToken);
        }

        var contentType = properties.Value.ContentType is { Length: > 0 } stored && stored != "application/octet-stream"
            ? stored
            : ContentTypeOf(reference.Name);
        return $"data:{contentType};base64,{System.Text.Encoding.ASCII.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)}";
    }

    /// <summary>Uploads often carry no content type; the model's formats are known by their extensions.</summary>
    public static string ContentTypeOf(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".webp" => "image/webp",
        ".mp4" => "video/mp4",
        ".mov" => "video/quicktime",
        ".mp3" => "audio/mpeg",
        ".wav" => "audio/wav",
        _ => "application/octet-stream",
    };

    private static void SetField(JsonObject body, string field, string value)
    {
        var bracket = field.IndexOf('[', StringComparison.Ordinal);
        if (bracket < 0)
        {
            body[field] = value;
            return;
        }

        var index = int.Parse(field[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture);
        body[field[..bracket]]![index] = value;
    }
}
