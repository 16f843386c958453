using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs.Models;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Inbox;

/// <summary>
/// Who uses an inbox image (<c>jobs/uses/{hash of container and name}</c>, created only if absent): its own drop's job,
/// or the manifests that name it. A manifest owns the files it names: the one who writes first wins, so an image and a
/// manifest that names it are never both billed for that image whatever order they arrive in. An image's own job looks
/// right before it would be submitted and ends superseded when a manifest uses it; a manifest whose row would make an
/// image-to-video of an image whose own job already went to fal leaves that row to the image's own video.
/// </summary>
public class ImageUses(PipelineStorage storage)
{
    private const string Prefix = "uses/";
    private const string ManifestPrefix = "manifest:";

    /// <summary>
    /// The image's own job asks to go on: true when it may (first, or after another version of the same file), false when
    /// a manifest uses it; <paramref name="manifest"/> then names it.
    /// </summary>
    public virtual async Task<(bool MayGoOn, string? Manifest)> ClaimForDropAsync(
        string container, string name, CancellationToken cancellationToken)
    {
        var holder = await ClaimAsync(container, name, $"drop:{container}/{name}", cancellationToken);
        return holder.StartsWith(ManifestPrefix, StringComparison.Ordinal) ? (false, holder[ManifestPrefix.Length..]) : (true, null);
    }

    /// <summary>A manifest names the image: true when the image's own job already holds it (and may have gone to fal).</summary>
    public virtual async Task<bool> UsedByItsOwnJobAsync(
        string container, string name, string manifest, CancellationToken cancellationToken) =>
        !(await ClaimAsync(container, name, ManifestPrefix + manifest, cancellationToken))
            .StartsWith(ManifestPrefix, StringComparison.Ordinal);

    /// <summary>Writes <paramref name="owner"/> unless someone holds the image; returns who does.</summary>
    private async Task<string> ClaimAsync(string container, string name, string owner, CancellationToken cancellationToken)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{container}/{name}")))[..32];
        var blob = storage.Jobs.GetBlobClient(Prefix + hash);
        try
        {
            await blob.UploadAsync(
                BinaryData.FromString(owner),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken);
            return owner;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return (await blob.DownloadContentAsync(cancellationToken)).Value.Content.ToString();
        }
    }
}
