using System.Diagnostics.CodeAnalysis;

namespace Pipeline.Core.Requests;

/// <summary>
/// A file in this app's storage named in a request (<c>blob:inbox/trips/photo.jpg</c>). Only the pipeline makes these
/// (from inbox drops); HTTP callers give http(s) URLs. The submit activity turns each into a SAS URL for fal.
/// </summary>
public sealed record BlobReference(string Container, string Name)
{
    private const string Scheme = "blob:";

    public override string ToString() => $"{Scheme}{Container}/{Name}";

    public static bool TryParse(string? value, [NotNullWhen(true)] out BlobReference? reference)
    {
        reference = null;
        if (value is null || !value.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = value[Scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1)
        {
            return false;
        }

        reference = new BlobReference(rest[..slash], rest[(slash + 1)..]);
        return true;
    }
}
