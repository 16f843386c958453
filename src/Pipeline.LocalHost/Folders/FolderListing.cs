namespace Pipeline.LocalHost.Folders;

/// <summary>
/// Every file under a folder, listed folder by folder, so that one folder that cannot be read (no permission, gone
/// while listed) leaves out only what it holds. A recursive enumeration throws from its middle and lists nothing after.
/// Linked folders are followed, except a link back to a folder it sits in (which would list forever).
/// </summary>
public sealed class FolderListing
{
    private const int MaxDepth = 64;

    private FolderListing()
    {
    }

    /// <summary>Each file's full path, in no particular order.</summary>
    public List<string> Files { get; } = [];

    /// <summary>Each folder that could not be read, with why.</summary>
    public Dictionary<string, string> Unreadable { get; } = new(StringComparer.Ordinal);

    public static FolderListing Of(string root)
    {
        var listing = new FolderListing();
        listing.Add(new DirectoryInfo(root), depth: 0);
        return listing;
    }

    private void Add(DirectoryInfo folder, int depth)
    {
        List<FileSystemInfo> entries;
        try
        {
            entries = [.. folder.EnumerateFileSystemInfos()];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            Unreadable[folder.FullName] = e.Message;
            return;
        }

        foreach (var entry in entries)
        {
            if (entry is not DirectoryInfo child)
            {
                Files.Add(entry.FullName);
            }
            else if (depth < MaxDepth && !LinksBack(child))
            {
                Add(child, depth + 1);
            }
        }
    }

    private static bool LinksBack(DirectoryInfo folder)
    {
        if (folder.LinkTarget is null)
        {
            return false;
        }

        try
        {
            var target = folder.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            var separator = Path.DirectorySeparatorChar;
            return target is null
                   || (folder.FullName + separator).StartsWith(target.TrimEnd(separator) + separator, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return true; // a link that cannot be resolved holds nothing to list
        }
    }
}
