using System.Buffers.Binary;

namespace Pipeline.Core.Inbox;

/// <summary>
/// The turn and mirroring a HEIF file asks for on its primary image: its <c>irot</c> and <c>imir</c> properties.
/// The decoder applies them itself (HEIF readers must ignore the EXIF orientation iPhones also write); they are read
/// here only to report what was done.
/// </summary>
internal static class HeifTransforms
{
    /// <summary>The clockwise turn and mirroring; none when the file asks for none or its boxes cannot be followed.</summary>
    public static (int ClockwiseDegrees, bool Mirrored) Read(ReadOnlySpan<byte> file)
    {
        // meta (a full box) → pitm names the primary item; iprp → ipco lists properties, ipma ties items to them.
        if (!TryFind(file, "meta"u8, out var meta) || meta.Length < 4
            || !TryFind(meta[4..], "pitm"u8, out var pitm) || !TryFind(meta[4..], "iprp"u8, out var iprp)
            || !TryFind(iprp, "ipco"u8, out var ipco) || !TryFind(iprp, "ipma"u8, out var ipma)
            || PrimaryItem(pitm) is not { } primary)
        {
            return (0, false);
        }

        var anticlockwiseQuarters = 0;
        var mirrored = false;
        foreach (var index in PropertiesOf(ipma, primary))
        {
            if (!TryNth(ipco, index, out var type, out var payload))
            {
                continue;
            }

            if (type.SequenceEqual("irot"u8) && payload.Length >= 1)
            {
                anticlockwiseQuarters = payload[0] & 3;
            }
            else if (type.SequenceEqual("imir"u8))
            {
                mirrored = true;
            }
        }

        return ((4 - anticlockwiseQuarters) % 4 * 90, mirrored);
    }

    private static uint? PrimaryItem(ReadOnlySpan<byte> pitm) =>
        pitm.Length >= 6 && pitm[0] == 0 ? BinaryPrimitives.ReadUInt16BigEndian(pitm[4..])
        : pitm.Length >= 8 ? BinaryPrimitives.ReadUInt32BigEndian(pitm[4..])
        : null;

    /// <summary>The 1-based ipco indices ipma associates with <paramref name="item"/>.</summary>
    private static List<int> PropertiesOf(ReadOnlySpan<byte> ipma, uint item)
    {
        var found = new List<int>();
        if (ipma.Length < 8)
        {
            return found;
        }

        var idSize = ipma[0] < 1 ? 2 : 4;
        var wideIndex = (ipma[3] & 1) != 0;
        var count = BinaryPrimitives.ReadUInt32BigEndian(ipma[4..]);
        var pos = 8;
        for (var entry = 0u; entry < count && pos + idSize + 1 <= ipma.Length; entry++)
        {
            var id = idSize == 2 ? BinaryPrimitives.ReadUInt16BigEndian(ipma[pos..]) : BinaryPrimitives.ReadUInt32BigEndian(ipma[pos..]);
            var associations = ipma[pos + idSize];
            pos += idSize + 1;
            for (var a = 0; a < associations; a++)
            {
                var size = wideIndex ? 2 : 1;
                if (pos + size > ipma.Length)
                {
                    return found;
                }

                // The top bit says "essential"; the rest is the index.
                var index = wideIndex ? BinaryPrimitives.ReadUInt16BigEndian(ipma[pos..]) & 0x7FFF : ipma[pos] & 0x7F;
                if (id == item)
                {
                    found.Add(index);
                }

                pos += size;
            }
        }

        return found;
    }

    private static bool TryFind(ReadOnlySpan<byte> boxes, ReadOnlySpan<byte> wanted, out ReadOnlySpan<byte> payload)
    {
        for (var n = 1; TryNth(boxes, n, out var type, out payload); n++)
        {
            if (type.SequenceEqual(wanted))
            {
                return true;
            }
        }

        payload = default;
        return false;
    }

    /// <summary>The <paramref name="n"/>th box (1-based, as ipma counts) among <paramref name="boxes"/>.</summary>
    private static bool TryNth(ReadOnlySpan<byte> boxes, int n, out ReadOnlySpan<byte> type, out ReadOnlySpan<byte> payload)
    {
        var pos = 0;
        for (var i = 1; pos + 8 <= boxes.Length; i++)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(boxes[pos..]);
            var header = 8;
            if (size == 1 && pos + 16 <= boxes.Length)
            {
                size = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(boxes[(pos + 8)..]), long.MaxValue);
                header = 16;
            }
            else if (size == 0)
            {
                size = boxes.Length - pos; // the last box runs to the end
            }

            if (size < header || size > boxes.Length - pos)
            {
                break;
            }

            if (i == n)
            {
                type = boxes.Slice(pos + 4, 4);
                payload = boxes.Slice(pos + header, (int)size - header);
                return true;
            }

            pos += (int)size;
        }

        type = default;
        payload = default;
        return false;
    }
}
