using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs.Models;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Inbox;

/// <summary>
/// One drop, one video that nothing else overwrites. Every inbox job's video name is claimed before the job starts
/// (<c>jobs/outputs/{hash of the name, lower-cased}</c>, created only if absent, holding the drop that owns it), so two
/// drops can never write the same video. The rule: a drop's video is <c>folder/stem.mp4</c> (<c>.vN</c> before
/// <c>.mp4</c> for its variants); when another drop owns that name — <c>a.png</c> beside <c>a.jpg</c>, <c>a.v2.jpg</c>
/// beside variant 2 of <c>a.jpg</c>, an image beside a manifest row of the same name, or names that differ only in case
/// — it is <c>folder/stem.ext.mp4</c> (the drop's extension, lower-case), and failing that a name with a hash of the
/// drop in it. The same drop (a redelivered event, a new version of the same file) always finds its own name again.
/// A manifest row's video is <c>manifest/name.mp4</c>, else <c>manifest/name.row-NNNN.mp4</c>.
/// </summary>
public class OutputNames(PipelineStorage storage)
{
    private const string Prefix = "outputs/";

    /// <summary>The video name of variant <paramref name="variant"/> of <paramref name="variants"/> of a drop.</summary>
    public virtual Task<string> ForDropAsync(
        string container, string blobName, int variant, int variants, CancellationToken cancellationToken)
    {
        var plain = InboxReader.OutputBlobFor(blobName);
        var extension = Path.GetExtension(blobName).TrimStart('.').ToLowerInvariant();
        var owner = $"{container}/{blobName}#{variant}";
        var stem = plain[..^".mp4".Length];
        return ClaimAsync(owner, [
            Variants.OutputName(plain, variant, variants),
            Variants.OutputName($"{stem}.{extension}.mp4", variant, variants),
            Variants.OutputName($"{stem}.{extension}.{Hash(owner)[..8]}.mp4", variant, variants),
        ], cancellationToken);
    }

    /// <summary>The video name of variant <paramref name="variant"/> of <paramref name="variants"/> of a manifest's row.</summary>
    public virtual Task<string> ForRowAsync(
        string source, string folder, string name, int row, int variant, int variants, CancellationToken cancellationToken)
    {
        var owner = $"{source}#row{row}#{variant}";
        return ClaimAsync(owner, [
            Variants.OutputName($"{folder}/{name}.mp4", variant, variants),
            Variants.OutputName($"{folder}/{name}.row-{row:D4}.mp4", variant, variants),
            Variants.OutputName($"{folder}/{name}.row-{row:D4}.{Hash(owner)[..8]}.mp4", variant, variants),
        ], cancellationToken);
    }

    /// <summary>The first candidate this owner holds or can claim (the last one, with the owner's hash, is always free).</summary>
    private async Task<string> ClaimAsync(string owner, IReadOnlyList<string> candidates, CancellationToken cancellationToken)
    {
        for (var i = 0; i < candidates.Count - 1; i++)
        {
            if (await TryClaimAsync(candidates[i], owner, cancellationToken))
            {
                return candidates[i];
            }
        }

        return candidates[^1];
    }

    private async Task<bool> TryClaimAsync(string name, string owner, CancellationToken cancellationToken)
    {
        var claim = storage.Jobs.GetBlobClient(Prefix + Hash(name.ToLowerInvariant()));
        if (await OwnerAsync(claim, cancellationToken) is { } holder)
        {
            return holder == owner;
        }

        if (await MadeBeforeClaimsAsync(name, owner, cancellationToken))
        {
            return false; // a video of another drop, stored before names were claimed
        }

        try
        {
            await claim.UploadAsync(BinaryData.FromString(owner),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return await OwnerAsync(claim, cancellationToken) == owner; // another drop claimed it at the same moment
        }
    }

    private static async Task<string?> OwnerAsync(Azure.Storage.Blobs.BlobClient claim, CancellationToken cancellationToken)
    {
        try
        {
            return (await claim.DownloadContentAsync(cancellationToken)).Value.Content.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Whether the video is there already, made for another source (its metadata says which).</summary>
    private async Task<bool> MadeBeforeClaimsAsync(string name, string owner, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await storage.Videos.GetBlobClient(name).GetPropertiesAsync(cancellationToken: cancellationToken);
            var metadata = properties.Value.Metadata;
            var source = metadata.TryGetValue("source", out var escaped) ? Uri.UnescapeDataString(escaped) : null;
            return source is not null && !owner.StartsWith(source + "#", StringComparison.Ordinal);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..32];
}
