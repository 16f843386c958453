using System.Buffers.Binary;
using System.Text;
using FalEmulator.Media;

namespace FalEmulator.Tests.Media;

public class Mp4InspectorTests
{
    [Fact]
    public void ReadBoxes_HandlesCompactLargeAndToEndSizes()
    {
        var data = Concat(
            Box32("ftyp", new byte[8]),
            Box64("mdat", new byte[20]),
            BoxToEnd("free", new byte[5]));

        var boxes = Mp4Inspector.ReadBoxes(data, 0, data.Length);

        Assert.Equal(["ftyp", "mdat", "free"], boxes.Select(b => b.Type));
        Assert.Equal(new Mp4Box("ftyp", 0, 8, 16), boxes[0]);
        Assert.Equal(new Mp4Box("mdat", 16, 16, 36), boxes[1]);
        Assert.Equal(new Mp4Box("free", 52, 8, 13), boxes[2]);
    }

    [Fact]
    public void ReadBoxes_BoxLargerThanItsParent_Throws()
    {
        var data = Box32("ftyp", new byte[8]);
        BinaryPrimitives.WriteUInt32BigEndian(data, 100);

        Assert.Throws<InvalidDataException>(() => Mp4Inspector.ReadBoxes(data, 0, data.Length));
    }

    [Fact]
    public void ReadBoxes_SizeSmallerThanHeader_Throws()
    {
        var data = Box32("ftyp", new byte[8]);
        BinaryPrimitives.WriteUInt32BigEndian(data, 4);

        Assert.Throws<InvalidDataException>(() => Mp4Inspector.ReadBoxes(data, 0, data.Length));
    }

    [Fact]
    public void Parse_Version1HeadersWith64BitFields_ReadsDurationsAndTrackSize()
    {
        // mvhd v1: version/flags, creation(8), modification(8), timescale(4), duration(8), rest ignored.
        var mvhd = new byte[4 + 8 + 8 + 4 + 8 + 80];
        mvhd[0] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(mvhd.AsSpan(20), 1000);
        BinaryPrimitives.WriteUInt64BigEndian(mvhd.AsSpan(24), 4500);

        // tkhd v1: version/flags, creation(8), modification(8), track_ID(4), reserved(4), duration(8),
        // reserved(8), layer, alternate_group, volume, reserved (2 each), matrix(36), width, height.
        var tkhd = new byte[4 + 8 + 8 + 4 + 4 + 8 + 8 + 8 + 36 + 8];
        tkhd[0] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(tkhd.AsSpan(tkhd.Length - 8), 1280u << 16);
        BinaryPrimitives.WriteUInt32BigEndian(tkhd.AsSpan(tkhd.Length - 4), 720u << 16);

        var mdhd = new byte[4 + 8 + 8 + 4 + 8 + 4];
        mdhd[0] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(mdhd.AsSpan(20), 12288);
        BinaryPrimitives.WriteUInt64BigEndian(mdhd.AsSpan(24), 12288UL * 4);

        var hdlr = new byte[4 + 4 + 4 + 12 + 1];
        Encoding.ASCII.GetBytes("vide").CopyTo(hdlr, 8);

        var file = Concat(
            Box32("ftyp", Encoding.ASCII.GetBytes("isom\0\0\u0002\0")),
            Box32("moov", Concat(
                Box32("mvhd", mvhd),
                Box32("trak", Concat(
                    Box32("tkhd", tkhd),
                    Box32("mdia", Concat(Box32("mdhd", mdhd), Box32("hdlr", hdlr))))))),
            Box64("mdat", new byte[3]));

        var mp4 = Mp4Inspector.Parse(file);

        Assert.Equal(["ftyp", "moov", "mdat"], mp4.TopLevelTypes);
        Assert.Equal(4.5, mp4.MovieDurationSeconds, 3);
        var track = Assert.Single(mp4.Tracks);
        Assert.Equal("vide", track.HandlerType);
        Assert.Equal(1280, track.Width);
        Assert.Equal(720, track.Height);
        Assert.Equal(4.0, track.MediaDurationSeconds, 3);
    }

    [Fact]
    public void Parse_WithoutMoov_Throws()
    {
        var data = Box32("ftyp", new byte[8]);

        Assert.Throws<InvalidDataException>(() => Mp4Inspector.Parse(data));
    }

    [Theory]
    [InlineData(VideoRenderer.FallbackAudioClip, true)]
    [InlineData(VideoRenderer.FallbackSilentClip, false)]
    public void Parse_CommittedFallbackClip_MatchesTheRendererConstants(string clip, bool hasAudio)
    {
        var path = MediaTestFiles.Asset(clip);
        var mp4 = Mp4Inspector.Load(path);

        Assert.True(new FileInfo(path).Length < 200 * 1024, "fallback clips should stay small");
        Assert.Equal("ftyp", mp4.TopLevelTypes[0]);
        Assert.True(mp4.TopLevelTypes.IndexOf("moov") < mp4.TopLevelTypes.IndexOf("mdat"), "moov should come first (faststart)");
        Assert.Equal(VideoRenderer.FallbackDurationSeconds, mp4.MovieDurationSeconds, 0.1);

        var video = Assert.Single(mp4.VideoTracks);
        Assert.Equal(VideoRenderer.FallbackWidth, video.Width);
        Assert.Equal(VideoRenderer.FallbackHeight, video.Height);
        Assert.Equal(VideoRenderer.FallbackDurationSeconds, video.MediaDurationSeconds, 0.1);
        Assert.Equal(hasAudio ? 1 : 0, mp4.AudioTracks.Count());
    }

    private static byte[] Box32(string type, byte[] payload)
    {
        var box = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(box, 4);
        payload.CopyTo(box, 8);
        return box;
    }

    private static byte[] Box64(string type, byte[] payload)
    {
        var box = new byte[16 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, 1);
        Encoding.ASCII.GetBytes(type).CopyTo(box, 4);
        BinaryPrimitives.WriteUInt64BigEndian(box.AsSpan(8), (ulong)box.Length);
        payload.CopyTo(box, 16);
        return box;
    }

    private static byte[] BoxToEnd(string type, byte[] payload)
    {
        var box = Box32(type, payload);
        BinaryPrimitives.WriteUInt32BigEndian(box, 0);
        return box;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
