namespace Pipeline.Core.Storage;

/// <summary>An upload's bytes as the store reads them: its first bytes (already read to sniff the type), then the
/// rest of the request stream, refused with <see cref="UploadTooLargeException"/> once past the cap. Read-only,
/// forward-only: the bytes go from the request to the blob without being held.</summary>
public sealed class CappedUploadStream(byte[] head, Stream rest, long maxBytes) : ForwardOnlyReadStream
{
    private int _headOffset;
    private long _total;

    public override long Position
    {
        get => _total;
    }

    public override int Read(Span<byte> buffer)
    {
        if (_headOffset < head.Length)
        {
            return Counted(TakeHead(buffer));
        }

        return Counted(rest.Read(buffer));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_headOffset < head.Length)
        {
            return Counted(TakeHead(buffer.Span));
        }

        return Counted(await rest.ReadAsync(buffer, cancellationToken));
    }

    private int TakeHead(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, head.Length - _headOffset);
        head.AsSpan(_headOffset, n).CopyTo(buffer);
        _headOffset += n;
        return n;
    }

    private int Counted(int read)
    {
        _total += read;
        return _total > maxBytes ? throw new UploadTooLargeException(maxBytes) : read;
    }
}
