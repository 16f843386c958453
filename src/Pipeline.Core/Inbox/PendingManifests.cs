using System.Security.Cryptography;
using System.Text;
using Azure;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Inbox;

/// <summary>
/// Manifests that wait for the files their rows name (<c>jobs/pending-manifests/{hash of container and folder}</c>): a
/// folder copied into the inbox does not arrive in order, and a manifest that came before its photos waits for them
/// rather than being refused. While one waits, a photo dropped in its folder waits too (once, as long as a lone
/// <c>.json</c> waits for its image), so that the manifest, which owns the files it names, takes it before its own job
/// would bill it.
/// </summary>
public class PendingManifests(PipelineStorage storage)
{
    private const string Prefix = "pending-manifests/";

    public virtual Task WaitAsync(string container, string manifestName, CancellationToken cancellationToken) =>
        Marker(container, manifestName).UploadAsync(BinaryData.FromString(manifestName), overwrite: true, cancellationToken);

    public virtual Task DoneAsync(string container, string manifestName, CancellationToken cancellationToken) =>
        Marker(container, manifestName).DeleteIfExistsAsync(cancellationToken: cancellationToken);

    /// <summary>Whether a manifest waits in the folder of <paramref name="name"/>.</summary>
    public virtual async Task<bool> InFolderOfAsync(string container, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await Marker(container, name).ExistsAsync(cancellationToken);
        }
        catch (RequestFailedException)
        {
            return false; // a photo is not held up by a marker storage cannot tell of
        }
    }

    private Azure.Storage.Blobs.BlobClient Marker(string container, string name) =>
        storage.Jobs.GetBlobClient(Prefix + Convert.ToHexStringLower(SHA256.HashData(
            Encoding.UTF8.GetBytes($"{container}\n{InboxReader.FolderOf(name)}")))[..32]);
}

/// <summary>A manifest names inbox files that are not there yet: its drop is handled again later (the trigger retries).</summary>
public sealed class ManifestWaitingException(string message) : Exception(message);
