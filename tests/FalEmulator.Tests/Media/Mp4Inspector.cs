using System.Buffers.Binary;
using System.Text;

namespace FalEmulator.Tests.Media;

/// <summary>One ISO BMFF box: its four-character type and where it sits in the file.</summary>
internal readonly record struct Mp4Box(string Type, long Offset, long HeaderSize, long Size)
{
    public long PayloadOffset => Offset + HeaderSize;

    public long PayloadSize => Size - HeaderSize;
}

/// <summary>A track as described by its tkhd, mdhd and hdlr boxes.</summary>
/// <param name="HandlerType"><c>vide</c>, <c>soun</c>, ...</param>
/// <param name="Width">tkhd width (16.16 fixed point, converted).</param>
/// <param name="Height">tkhd height (16.16 fixed point, converted).</param>
internal sealed record Mp4Track(string HandlerType, double Width, double Height, uint MediaTimescale, ulong MediaDuration)
{
    public double MediaDurationSeconds => MediaTimescale == 0 ? 0 : (double)MediaDuration / MediaTimescale;
}

/// <summary>
/// A small ISO BMFF (MP4) reader written for the tests, independent of ffmpeg/ffprobe, so the renderer's
/// output is checked by something that does not share its assumptions.
/// </summary>
internal sealed class Mp4Inspector
{
    private static readonly HashSet<string> Containers =
        new(StringComparer.Ordinal) { "moov", "trak", "mdia", "minf", "stbl", "edts", "udta" };

    private Mp4Inspector(IReadOnlyList<Mp4Box> topLevelBoxes, uint movieTimescale, ulong movieDuration, IReadOnlyList<Mp4Track> tracks)
    {
        TopLevelBoxes = topLevelBoxes;
        MovieTimescale = movieTimescale;
        MovieDuration = movieDuration;
        Tracks = tracks;
    }

    public IReadOnlyList<Mp4Box> TopLevelBoxes { get; }

    public List<string> TopLevelTypes => TopLevelBoxes.Select(b => b.Type).ToList();

    public uint MovieTimescale { get; }

    public ulong MovieDuration { get; }

    public double MovieDurationSeconds => MovieTimescale == 0 ? 0 : (double)MovieDuration / MovieTimescale;

    public IReadOnlyList<Mp4Track> Tracks { get; }

    public IEnumerable<Mp4Track> VideoTracks => Tracks.Where(t => t.HandlerType == "vide");

    public IEnumerable<Mp4Track> AudioTracks => Tracks.Where(t => t.HandlerType == "soun");

    public static Mp4Inspector Load(string path) => Parse(File.ReadAllBytes(path));

    /// <exception cref="InvalidDataException">The data is not a well-formed box structure, or has no moov/mvhd.</exception>
    public static Mp4Inspector Parse(byte[] data)
    {
        var top = ReadBoxes(data, 0, data.Length);
        var moov = top.FirstOrDefault(b => b.Type == "moov");
        if (moov.Type is null)
        {
            throw new InvalidDataException("No moov box.");
        }

        var moovChildren = ReadBoxes(data, moov.PayloadOffset, moov.Offset + moov.Size);
        var mvhd = Single(moovChildren, "mvhd");
        var (timescale, duration) = ReadTimescaleAndDuration(data, mvhd);

        var tracks = new List<Mp4Track>();
        foreach (var trak in moovChildren.Where(b => b.Type == "trak"))
        {
            tracks.Add(ReadTrack(data, trak));
        }

        return new Mp4Inspector(top, timescale, duration, tracks);
    }

    /// <summary>The boxes laid end to end in [start, end): 32-bit sizes, 64-bit "largesize" (size 1) and "to the end" (size 0).</summary>
    public static List<Mp4Box> ReadBoxes(byte[] data, long start, long end)
    {
        var boxes = new List<Mp4Box>();
        var pos = start;
        while (pos < end)
        {
            if (end - pos < 8)
            {
                throw new InvalidDataException($"Truncated box header at {pos}.");
            }

            long size = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan((int)pos, 4));
            var type = Encoding.ASCII.GetString(data, (int)pos + 4, 4);
            long headerSize = 8;
            if (size == 1)
            {
                if (end - pos < 16)
                {
                    throw new InvalidDataException($"Truncated largesize of '{type}' at {pos}.");
                }

                var large = BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan((int)pos + 8, 8));
                if (large > long.MaxValue)
                {
                    throw new InvalidDataException($"Box '{type}' at {pos} is impossibly large.");
                }

                size = (long)large;
                headerSize = 16;
            }
            else if (size == 0)
            {
                size = end - pos;
            }

            if (size < headerSize || pos + size > end)
            {
                throw new InvalidDataException($"Box '{type}' at {pos} has size {size}, outside its parent [{start}, {end}).");
            }

            boxes.Add(new Mp4Box(type, pos, headerSize, size));
            pos += size;
        }

        return boxes;
    }

    /// <summary>Types of all boxes reachable through the known container boxes, depth first (for diagnostics).</summary>
    public static List<string> AllTypes(byte[] data)
    {
        var types = new List<string>();
        void Walk(long start, long end)
        {
            foreach (var box in ReadBoxes(data, start, end))
            {
                types.Add(box.Type);
                if (Containers.Contains(box.Type))
                {
                    Walk(box.PayloadOffset, box.Offset + box.Size);
                }
            }
        }

        Walk(0, data.Length);
        return types;
    }

    private static Mp4Track ReadTrack(byte[] data, Mp4Box trak)
    {
        var children = ReadBoxes(data, trak.PayloadOffset, trak.Offset + trak.Size);
        var (width, height) = ReadTrackSize(data, Single(children, "tkhd"));

        var mdia = Single(children, "mdia");
        var mdiaChildren = ReadBoxes(data, mdia.PayloadOffset, mdia.Offset + mdia.Size);
        var (timescale, duration) = ReadTimescaleAndDuration(data, Single(mdiaChildren, "mdhd"));

        // hdlr: version/flags(4) pre_defined(4) handler_type(4)
        var hdlr = Single(mdiaChildren, "hdlr");
        Require(hdlr, 12);
        var handler = Encoding.ASCII.GetString(data, (int)hdlr.PayloadOffset + 8, 4);

        return new Mp4Track(handler, width, height, timescale, duration);
    }

    // mvhd and mdhd share this layout: version(1) flags(3), then
    // v0: creation(4) modification(4) timescale(4) duration(4); v1: creation(8) modification(8) timescale(4) duration(8).
    private static (uint Timescale, ulong Duration) ReadTimescaleAndDuration(byte[] data, Mp4Box box)
    {
        var p = (int)box.PayloadOffset;
        var version = data[p];
        if (version == 1)
        {
            Require(box, 32);
            return (
                BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(p + 20, 4)),
                BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(p + 24, 8)));
        }

        Require(box, 20);
        return (BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(p + 12, 4)), BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(p + 16, 4)));
    }

    // tkhd: version(1) flags(3); v0: creation(4) modification(4) track_ID(4) reserved(4) duration(4);
    // v1: the times and duration are 8 bytes. Then reserved(8) layer(2) alternate_group(2) volume(2)
    // reserved(2) matrix(36) width(4) height(4), both 16.16 fixed point.
    private static (double Width, double Height) ReadTrackSize(byte[] data, Mp4Box tkhd)
    {
        var p = (int)tkhd.PayloadOffset;
        var afterDuration = data[p] == 1 ? 4 + 8 + 8 + 4 + 4 + 8 : 4 + 4 + 4 + 4 + 4 + 4;
        var widthOffset = afterDuration + 8 + 2 + 2 + 2 + 2 + 36;
        Require(tkhd, widthOffset + 8);
        var width = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(p + widthOffset, 4)) / 65536.0;
        var height = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(p + widthOffset + 4, 4)) / 65536.0;
        return (width, height);
    }

    private static Mp4Box Single(List<Mp4Box> boxes, string type)
    {
        var matches = boxes.Where(b => b.Type == type).ToList();
        return matches.Count == 1 ? matches[0] : throw new InvalidDataException($"Expected one '{type}' box, found {matches.Count}.");
    }

    private static void Require(Mp4Box box, long payloadBytes)
    {
        if (box.PayloadSize < payloadBytes)
        {
            throw new InvalidDataException($"Box '{box.Type}' at {box.Offset} is too short ({box.PayloadSize} < {payloadBytes} bytes).");
        }
    }
}
