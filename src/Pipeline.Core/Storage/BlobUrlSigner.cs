using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;

namespace Pipeline.Core.Storage;

/// <summary>
/// Short-lived read-only URLs for blobs. With an account key (Azurite, connection strings) a service SAS; with a managed
/// identity (Azure, shared keys off) a user delegation SAS, its key fetched once and reused until near its expiry.
/// </summary>
public class BlobUrlSigner(PipelineStorage storage, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private UserDelegationKey? _delegationKey;

    public virtual async Task<Uri> ReadUrlAsync(BlobClient blob, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expiresOn = now + lifetime;
        if (blob.CanGenerateSasUri)
        {
            return blob.GenerateSasUri(BlobSasPermissions.Read, expiresOn);
        }

        var sas = new BlobSasBuilder(BlobSasPermissions.Read, expiresOn)
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
            StartsOn = now.AddMinutes(-5), // clock skew between us and storage
        };
        var key = await DelegationKeyAsync(expiresOn, cancellationToken);
        var query = sas.ToSasQueryParameters(key, storage.Service.AccountName);
        return new BlobUriBuilder(blob.Uri) { Sas = query }.ToUri();
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gate.Dispose();
        }
    }

    private async Task<UserDelegationKey> DelegationKeyAsync(DateTimeOffset neededUntil, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_delegationKey is null || _delegationKey.SignedExpiresOn < neededUntil)
            {
                var now = time.GetUtcNow();
                // A delegation key lives at most 7 days; take one that outlasts this SAS by a day so it is reused.
                var expires = neededUntil.AddDays(1) < now.AddDays(7) ? neededUntil.AddDays(1) : now.AddDays(7);
                _delegationKey = (await storage.Service.GetUserDelegationKeyAsync(now.AddMinutes(-5), expires, cancellationToken)).Value;
            }

            return _delegationKey;
        }
        finally
        {
            _gate.Release();
        }
    }
}
