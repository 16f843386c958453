namespace Pipeline.Core.Inbox;

/// <summary>
/// Which inbox names the pipeline takes. A name is refused, before any path or URL is built from it, when it could
/// mean something other than a file in its folder: a blob name with <c>..</c> or <c>.</c> segments is resolved by the
/// storage URL (<c>inbox/../videos/x.mp4</c> is <c>videos/x.mp4</c>), a backslash is a folder separator to some tools
/// and not to others, and control characters or invalid UTF-8 cannot be written back under the same name.
/// </summary>
public static class InboxNames
{
    /// <summary>Azure's longest blob name.</summary>
    public const int MaxLength = 1024;

    /// <summary>Why the name is refused, or null when it can be used as it is.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "the name is empty";
        }

        if (name.Length > MaxLength)
        {
            return $"the name is longer than {MaxLength} characters";
        }

        if (name.Contains('\\'))
        {
            return "a name may not hold a backslash (folders are separated by '/')";
        }

        if (name.Any(char.IsControl))
        {
            return "a name may not hold control characters";
        }

        if (name.Contains('\uFFFD') || HasLoneSurrogate(name))
        {
            return "the name is not valid UTF-8";
        }

        if (name.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            return "a name may not have empty, '.' or '..' folders, nor start or end with '/'";
        }

        return null;
    }

    private static bool HasLoneSurrogate(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(name[i]))
            {
                return true;
            }
        }

        return false;
    }
}
