namespace Pipeline.LocalHost.Folders;

/// <summary>
/// Which blob each local file and folder of <c>videos/</c> belongs to, in one pass over the videos container. Blob names
/// are case-sensitive and may make a name both a file and a folder (<c>a.mp4</c>, <c>a.mp4/b.mp4</c>); a disk holds
/// one of the two, and on a case-insensitive disk (macOS, Windows) <c>Trip/a.mp4</c> and <c>trip/a.mp4</c> are one
/// file. Names are compared without case on every disk, so that the first blob wins everywhere.
/// </summary>
public sealed class LocalNameClaims
{
    private readonly Dictionary<string, string> _files = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _folders = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Claims the blob's file and folders; when an earlier blob holds one of them, claims nothing and says which.</summary>
    public Clash? Claim(string blobName)
    {
        var folders = Folders(blobName).ToList();
        if (_files.TryGetValue(blobName, out var same))
        {
            return new Clash(same, $"it and {same} are one file on a disk that ignores case");
        }

        if (_folders.TryGetValue(blobName, out var inside))
        {
            return new Clash(inside, $"it is the folder of {inside}, and a file and a folder cannot share a name");
        }

        foreach (var folder in folders)
        {
            if (_files.TryGetValue(folder, out var file))
            {
                return new Clash(file, $"its folder {folder} is the file {file}, and a file and a folder cannot share a name");
            }
        }

        _files[blobName] = blobName;
        foreach (var folder in folders)
        {
            _folders.TryAdd(folder, blobName);
        }

        return null;
    }

    /// <summary><c>a/b/c.mp4</c> → <c>a</c>, <c>a/b</c>.</summary>
    private static IEnumerable<string> Folders(string blobName)
    {
        for (var slash = blobName.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = blobName.IndexOf('/', slash + 1))
        {
            yield return blobName[..slash];
        }
    }

    /// <summary>The blob that holds the place first, and why the later one cannot have it.</summary>
    public sealed record Clash(string Holder, string Reason);
}
