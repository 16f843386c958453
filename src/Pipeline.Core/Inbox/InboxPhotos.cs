using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using Pipeline.Core.Options;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Inbox;

/// <summary>
/// Photos as phones write them, made into what fal takes (JPEG, PNG or WebP, upright): every image a job names in its
/// storage — an inbox drop, its sidecar's or its manifest row's images, a photo sent with an API request — is read once,
/// right before the submit. A HEIC/HEIF photo, a
/// JPEG that only its EXIF orientation turns upright, or a photo that says where it was taken is copied to
/// <c>uploads/{job}/photo-{field}.jpg</c>, upright, with its metadata (location included, unless
/// <see cref="PipelineOptions.KeepPhotoLocation"/>) removed, and the request names the copy; any other photo goes as it is.
/// </summary>
public class InboxPhotos(PipelineStorage storage, PhotoNormalizer normalizer, IOptions<PipelineOptions> options)
{
    /// <exception cref="PhotoUnreadableException">A photo cannot be read (damaged, or not a photo): the job cannot run.</exception>
    public virtual async Task<VideoRequest> UprightAsync(string jobId, VideoRequest request, CancellationToken cancellationToken)
    {
        foreach (var (field, url) in request.Urls().ToList())
        {
            if (!IsImageField(field) || !BlobReference.TryParse(url, out var photo) || IsOwnCopy(jobId, photo))
            {
                continue; // a URL fal fetches itself, or a copy this made already
            }

            using var copy = new MemoryStream();
            await using (var source = await storage.Blob(photo.Container, photo.Name).OpenReadAsync(cancellationToken: cancellationToken))
            {
                if (await normalizer.NormalizeAsync(source, photo.Name, copy, options.Value.KeepPhotoLocation, cancellationToken) is null)
                {
                    continue;
                }
            }

            var name = $"{UploadStore.Prefix(jobId)}photo-{field.Replace('[', '-').TrimEnd(']')}.jpg";
            copy.Position = 0;
            await storage.Uploads.GetBlobClient(name).UploadAsync(copy, new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = "image/jpeg" },
                Metadata = new Dictionary<string, string>
                {
                    ["job_id"] = jobId,
                    ["source"] = Uri.EscapeDataString($"{photo.Container}/{photo.Name}"),
                },
            }, cancellationToken);
            request = request.WithUrl(field, new BlobReference(PipelineStorage.UploadsContainerName, name).ToString());
        }

        return request;
    }

    private static bool IsImageField(string field) =>
        field is "image_url" or "end_image_url" || field.StartsWith("image_urls[", StringComparison.Ordinal);

    private static bool IsOwnCopy(string jobId, BlobReference photo) =>
        photo.Name.StartsWith($"{UploadStore.Prefix(jobId)}photo-", StringComparison.Ordinal);
}
