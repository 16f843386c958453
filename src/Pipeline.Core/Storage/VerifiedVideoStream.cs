namespace Pipeline.Core.Storage;

/// <summary>
/// Reads a video as it streams into storage and fails the upload (before the blob is committed) when the bytes are not
/// what was promised: fewer or more than the expected sizes, or no ISO media box at the start.
/// </summary>
internal sealed class VerifiedVideoStream(Stream inner, IReadOnlyCollection<long> expectedSizes) : ForwardOnlyReadStream
{
    private static readonly string[] FirstBoxes = ["ftyp", "moov", "mdat", "free", "skip", "wide"];
    private readonly byte[] _head = new byte[8];
    private long _read;

    public long BytesRead => _read;

    public override long Position
    {
        get => _read;
    }

    public override int Read(Span<byte> buffer)
    {
        var rented = new byte[buffer.Length];
        var n = ReadAsync(rented).AsTask().GetAwaiter().GetResult(); // the SDK reads asynchronously; this is for completeness
        rented.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0; // a zero-length read is allowed and is not the end of the download
        }

        var n = await inner.ReadAsync(buffer, cancellationToken);
        for (var i = 0; i < n && _read + i < _head.Length; i++)
        {
            _head[_read + i] = buffer.Span[i];
        }

        _read += n;
        if (_read >= 8 && _read - n < 8 && !FirstBoxes.Contains(System.Text.Encoding.ASCII.GetString(_head, 4, 4)))
        {
            throw new InvalidDataException("the download is not an MP4/MOV file (no ISO media box at its start)");
        }

        if (expectedSizes.Count > 0 && _read > expectedSizes.Max())
        {
            // Stop a body that runs past every announced size now, not after streaming it all into storage.
            throw new InvalidDataException($"the download is longer than the {expectedSizes.Max()} bytes announced");
        }

        if (n == 0)
        {
            foreach (var expected in expectedSizes)
            {
                if (_read != expected)
                {
                    throw new InvalidDataException($"the download ended after {_read} bytes; {expected} were announced");
                }
            }

            if (_read < 8)
            {
                throw new InvalidDataException("the download is too short to be a video");
            }
        }

        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
