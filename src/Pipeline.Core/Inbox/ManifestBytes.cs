using System.Security.Cryptography;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Inbox;

/// <summary>
/// A manifest's bytes as they are parsed: hashed on the way (the batch is named by its content) and refused past the
/// cap.
/// </summary>
public sealed class ManifestBytes(Stream content, long maxBytes) : ForwardOnlyReadStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _total;

    public override long Position
    {
        get => _total;
    }

    /// <summary>The SHA-256 of everything read, in lower-case hex (read to the end first).</summary>
    public string Sha256 => Convert.ToHexStringLower(_hash.GetCurrentHash());

    public override int Read(Span<byte> buffer) => Counted(buffer, content.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await content.ReadAsync(buffer, cancellationToken);
        return Counted(buffer.Span, read);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Counted(ReadOnlySpan<byte> buffer, int read)
    {
        _total += read;
        if (_total > maxBytes)
        {
            throw new ManifestTooLargeException(maxBytes);
        }

        _hash.AppendData(buffer[..read]);
        return read;
    }
}

/// <summary>A manifest larger than <see cref="ManifestReader.MaxBytes"/>.</summary>
public sealed class ManifestTooLargeException(long maxBytes) : Exception($"a manifest may be at most {maxBytes / (1024 * 1024)} MB");
