using System.Buffers.Binary;
using System.Text;

namespace Pipeline.LocalHost;

/// <summary>
/// A video's length from its MP4 movie header (<c>moov/mvhd</c>), read without ffprobe (which the host does not need):
/// the top-level boxes are skipped over, so only a few small reads are made whatever the file's size.
/// </summary>
public static class Mp4Duration
{
    /// <returns>The duration in seconds, or null when the file has no readable movie header.</returns>
    public static double? Read(string path)
    {
        using var file = File.OpenRead(path);
        var moov = FindBox(file, "moov", file.Length);
        if (moov is null || FindBox(file, "mvhd", moov.Value) is null)
        {
            return null;
        }

        var version = file.ReadByte();
        Span<byte> header = stackalloc byte[32];
        var fields = version == 1 ? header[..31] : header[..19]; // flags, creation and modification times, timescale, duration
        file.ReadExactly(fields);
        var times = version == 1 ? 3 + 16 : 3 + 8;
        var timescale = BinaryPrimitives.ReadUInt32BigEndian(fields[times..]);
        var duration = version == 1
            ? BinaryPrimitives.ReadUInt64BigEndian(fields[(times + 4)..])
            : BinaryPrimitives.ReadUInt32BigEndian(fields[(times + 4)..]);
        return timescale == 0 ? null : (double)duration / timescale;
    }

    /// <summary>
    /// Moves the stream to the payload of the first box of that type before <paramref name="end"/>, and returns the box's end.
    /// </summary>
    private static long? FindBox(Stream stream, string type, long end)
    {
        Span<byte> header = stackalloc byte[16];
        while (stream.Position + 8 <= end)
        {
            var start = stream.Position;
            stream.ReadExactly(header[..8]);
            long size = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (size == 1)
            {
                stream.ReadExactly(header[8..16]);
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(header[8..]);
            }
            else if (size == 0)
            {
                size = end - start; // the box runs to the end
            }

            if (size < 8)
            {
                return null;
            }

            if (Encoding.ASCII.GetString(header[4..8]) == type)
            {
                return start + size;
            }

            stream.Position = start + size;
        }

        return null;
    }
}
