using System.Buffers.Binary;
using System.Text;
using Pipeline.Core.Storage;

namespace Pipeline.UnitTests.Hardening;

/// <summary>
/// The video stream checked as it is uploaded: an ISO media box at the start (however the first 8 bytes arrive), and
/// exactly the announced number of bytes, else <see cref="InvalidDataException"/> before the blob is committed.
/// </summary>
public sealed class VerifiedVideoStreamTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary><paramref name="length"/> bytes starting with an ISO box header (size, then <paramref name="box"/>).</summary>
    private static byte[] Video(int length, string box = "ftyp")
    {
        var bytes = new byte[length];
        for (var i = 8; i < length; i++)
        {
            bytes[i] = (byte)(i * 31);
        }

        BinaryPrimitives.WriteUInt32BigEndian(bytes, 24);
        Encoding.ASCII.GetBytes(box).CopyTo(bytes, 4);
        return bytes;
    }

    private static VerifiedVideoStream Verified(byte[] bytes, params long[] expected) => new(new MemoryStream(bytes), expected);

    private static VerifiedVideoStream Trickled(byte[] bytes, int chunk, params long[] expected) =>
        new(new ChunkedStream(bytes, chunk), expected);

    [Fact]
    public async Task CopyToAsync_VideoOfExpectedLength_ReadsEverything()
    {
        var bytes = Video(100_000);
        await using var stream = Verified(bytes, bytes.Length);

        await stream.CopyToAsync(Stream.Null, Token);

        Assert.Equal(bytes.Length, stream.BytesRead);
        Assert.Equal(bytes.Length, stream.Position);
    }

    [Fact]
    public async Task CopyToAsync_VideoOfExpectedLength_PassesTheBytesThroughUnchanged()
    {
        var bytes = Video(70_000);
        await using var stream = Verified(bytes, bytes.Length);
        using var copy = new MemoryStream();

        await stream.CopyToAsync(copy, Token);

        Assert.Equal(bytes, copy.ToArray());
    }

    [Fact]
    public void CopyTo_SynchronousVideoOfExpectedLength_ReadsEverything()
    {
        var bytes = Video(100_000);
        using var stream = Verified(bytes, bytes.Length);

        stream.CopyTo(Stream.Null);

        Assert.Equal(bytes.Length, stream.BytesRead);
    }

    [Theory]
    [InlineData("ftyp")]
    [InlineData("moov")]
    [InlineData("mdat")]
    [InlineData("free")]
    [InlineData("skip")]
    [InlineData("wide")]
    public async Task CopyToAsync_StartsWithAnIsoBox_ReadsEverything(string box)
    {
        var bytes = Video(4096, box);
        await using var stream = Verified(bytes, bytes.Length);

        await stream.CopyToAsync(Stream.Null, Token);

        Assert.Equal(bytes.Length, stream.BytesRead);
    }

    [Fact]
    public async Task CopyToAsync_ShorterThanExpected_ThrowsAtTheEnd()
    {
        var bytes = Video(100_000);
        await using var stream = Verified(bytes, bytes.Length + 1);

        await Assert.ThrowsAsync<InvalidDataException>(() => stream.CopyToAsync(Stream.Null, Token));

        Assert.Equal(bytes.Length, stream.BytesRead); // everything was read: the shortfall shows only at the end
    }

    [Fact]
    public async Task CopyToAsync_LongerThanExpected_Throws()
    {
        var bytes = Video(100_000);
        await using var stream = Verified(bytes, bytes.Length - 1);

        await Assert.ThrowsAsync<InvalidDataException>(() => stream.CopyToAsync(Stream.Null, Token));
    }

    [Fact]
    public void CopyTo_SynchronousShorterThanExpected_Throws()
    {
        var bytes = Video(1000);
        using var stream = Verified(bytes, 2000);

        Assert.Throws<InvalidDataException>(() => stream.CopyTo(Stream.Null));
    }

    [Fact]
    public async Task ReadAsync_NotAnIsoFile_ThrowsOnTheFirstRead()
    {
        var bytes = Encoding.ASCII.GetBytes("<html><body>403 Forbidden</body></html>" + new string(' ', 100_000));
        var inner = new MemoryStream(bytes);
        await using var stream = new VerifiedVideoStream(inner, [bytes.Length]);
        var buffer = new byte[16];

        await Assert.ThrowsAsync<InvalidDataException>(() => stream.ReadAsync(buffer, Token).AsTask());

        Assert.Equal(16, inner.Position); // refused early, not after reading the whole body
    }

    [Fact]
    public async Task CopyToAsync_NotAnIsoFileWithoutExpectedSize_Throws()
    {
        await using var stream = Verified(Encoding.ASCII.GetBytes("<html>not a video</html>"));

        await Assert.ThrowsAsync<InvalidDataException>(() => stream.CopyToAsync(Stream.Null, Token));
    }

    [Fact]
    public async Task CopyToAsync_JsonErrorBody_Throws()
    {
        var bytes = Encoding.ASCII.GetBytes("""{"detail":"File not found"}""");
        await using var stream = Verified(bytes, bytes.Length);

        await Assert.ThrowsAsync<InvalidDataException>(() => stream.CopyToAsync(Stream.Null, Token));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(12_345)]
    public async Task CopyToAsync_NoExpectedSizes_ChecksOnlyTheHeader(int length)
    {
        await using var stream = Verified(Video(length));

        await stream.CopyToAsync(Stream.Null, Token);

        Assert.Equal(length, stream.BytesRead);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public async Task CopyToAsync_ShorterThanAnIsoBoxHeader_Throws(int length)
    {
        var bytes = Video(8)[..length];
        await using var stream = Verified(bytes);

        await Assert.ThrowsAsync<InvalidDataException>(() => stream.CopyToAsync(Stream.Null, Token));
    }

    [Fact]
    public async Task CopyToAsync_SizesAnnouncedTwiceAlike_ReadsEverything()
    {
        var bytes = Video(5000);
        await using var stream = Verified(bytes, bytes.Length, bytes.Length);

        await stream.CopyToAsync(Stream.Null, Token);

        Assert.Equal(bytes.Length, stream.BytesRead);
    }

    [Theory]
    [InlineData(4999, 5000)]
    [InlineData(5000, 5001)]
    public async Task CopyToAsync_AnnouncedSizesDisagree_Throws(long first, long second)
    {
        await using var stream = Verified(Video(5000), first, second);

        await Assert.ThrowsAsync<InvalidDataException>(() => stream.CopyToAsync(Stream.Null, Token));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    public async Task CopyToAsync_VideoArrivingInSmallChunks_ReadsEverything(int chunk)
    {
        var bytes = Video(1000);
        await using var stream = Trickled(bytes, chunk, bytes.Length);

        await stream.CopyToAsync(Stream.Null, Token);

        Assert.Equal(bytes.Length, stream.BytesRead);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task CopyToAsync_NotAnIsoFileArrivingInSmallChunks_Throws(int chunk)
    {
        var bytes = Encoding.ASCII.GetBytes("<html>" + new string('x', 994));
        await using var stream = Trickled(bytes, chunk, bytes.Length);

        await Assert.ThrowsAsync<InvalidDataException>(() => stream.CopyToAsync(Stream.Null, Token));
        Assert.InRange(stream.BytesRead, 8, 8 + chunk - 1); // refused once the 8th byte is in
    }

    [Fact]
    public async Task ReadAsync_OneByteAtATime_ChecksTheHeaderWithTheEighthByte()
    {
        var bytes = Encoding.ASCII.GetBytes("\0\0\0\x18htmlrest-of-it");
        await using var stream = Verified(bytes, bytes.Length);
        var one = new byte[1];

        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(1, await stream.ReadAsync(one, Token));
        }

        await Assert.ThrowsAsync<InvalidDataException>(() => stream.ReadAsync(one, Token).AsTask());
    }

    [Fact]
    public async Task ReadAsync_BoxTypeSplitAcrossReads_IsRecognised()
    {
        var bytes = Video(64);
        await using var stream = Verified(bytes, bytes.Length);
        var buffer = new byte[64];

        // 0..5, then 6..9 (the box type "ftyp" is split over both reads), then the rest
        Assert.Equal(6, await stream.ReadAsync(buffer.AsMemory(0, 6), Token));
        Assert.Equal(4, await stream.ReadAsync(buffer.AsMemory(6, 4), Token));
        Assert.Equal(54, await stream.ReadAsync(buffer.AsMemory(10), Token));
        Assert.Equal(0, await stream.ReadAsync(buffer.AsMemory(0, 1), Token));

        Assert.Equal(bytes, buffer);
    }

    [Fact]
    public void ReadByte_OneByteAtATime_ReadsEverything()
    {
        var bytes = Video(300);
        using var stream = Verified(bytes, bytes.Length);
        var count = 0;

        while (stream.ReadByte() >= 0)
        {
            count++;
        }

        Assert.Equal(bytes.Length, count);
        Assert.Equal(bytes.Length, stream.BytesRead);
    }

    [Fact]
    public void Stream_Capabilities_ReadOnlyAndNotSeekable()
    {
        using var stream = Verified(Video(16), 16);

        Assert.True(stream.CanRead);
        Assert.False(stream.CanSeek);
        Assert.False(stream.CanWrite);
        Assert.Throws<NotSupportedException>(() => stream.Length);
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => stream.Write(new byte[1], 0, 1));
    }

    [Fact]
    public void Dispose_DisposesTheInnerStream()
    {
        var inner = new MemoryStream(Video(16));
        var stream = new VerifiedVideoStream(inner, [16]);

        stream.Dispose();

        Assert.Throws<ObjectDisposedException>(() => inner.ReadByte());
    }

    [Fact]
    public async Task ReadAsync_ZeroLengthBufferMidStream_DoesNotThrow()
    {
        var bytes = Video(1000);
        await using var stream = Verified(bytes, bytes.Length);
        var buffer = new byte[100];
        Assert.Equal(100, await stream.ReadAsync(buffer, Token));

        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty, Token));

        await stream.CopyToAsync(Stream.Null, Token);
        Assert.Equal(bytes.Length, stream.BytesRead);
    }

    /// <summary>A read-only stream that hands out at most <c>chunk</c> bytes per read, like a slow network.</summary>
    private sealed class ChunkedStream(byte[] bytes, int chunk) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(Math.Min(chunk, buffer.Length), bytes.Length - _position);
            bytes.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
