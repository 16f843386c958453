using System.Text;
using FalEmulator.Media;

namespace FalEmulator.Tests.Media;

public class ImageProbeTests
{
    [Theory]
    [InlineData("portrait-64x96.png", "png", "image/png", 64, 96)]
    [InlineData("landscape-320x180.jpg", "jpeg", "image/jpeg", 320, 180)]
    [InlineData("render-1280x720.jpg", "jpeg", "image/jpeg", 1280, 720)]
    [InlineData("portrait-480x720.jpg", "jpeg", "image/jpeg", 480, 720)]
    [InlineData("square-200x200.webp", "webp", "image/webp", 200, 200)]
    [InlineData("square-lossless-200x200.webp", "webp", "image/webp", 200, 200)]
    [InlineData("alpha-300x150.webp", "webp", "image/webp", 300, 150)]
    public void Probe_CommittedFixture_ReturnsFormatAndSize(string fixture, string format, string contentType, int width, int height)
    {
        var bytes = File.ReadAllBytes(MediaTestFiles.Fixture(fixture));

        var info = ImageProbe.Probe(bytes);

        Assert.Equal(new ImageInfo(format, contentType, width, height), info);
        Assert.Equal(format, ImageProbe.DetectFormat(bytes));
    }

    [Fact]
    public void Probe_WebpFixtures_CoverAllThreeChunkKinds()
    {
        // Guards the fixtures themselves: each WebP flavour must really be exercised.
        Assert.Equal("VP8 ", FirstWebpChunk("square-200x200.webp"));
        Assert.Equal("VP8L", FirstWebpChunk("square-lossless-200x200.webp"));
        Assert.Equal("VP8X", FirstWebpChunk("alpha-300x150.webp"));
    }

    [Fact]
    public void Probe_TextFile_ReturnsNull()
    {
        var bytes = File.ReadAllBytes(MediaTestFiles.Fixture("not-an-image.txt"));

        Assert.Null(ImageProbe.Probe(bytes));
        Assert.Null(ImageProbe.DetectFormat(bytes));
    }

    [Theory]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x0A, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00 })] // GIF89a
    [InlineData(new byte[] { 0x42, 0x4D, 0x3A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x36, 0x00, 0x00, 0x00 })] // BMP
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 0x24, 0x00, 0x00, 0x00, 0x57, 0x41, 0x56, 0x45 })] // RIFF WAVE
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0xFF })]
    public void Probe_UnsupportedOrEmpty_ReturnsNull(byte[] bytes)
    {
        Assert.Null(ImageProbe.Probe(bytes));
        Assert.Null(ImageProbe.DetectFormat(bytes));
    }

    [Theory]
    [InlineData("portrait-64x96.png")]
    [InlineData("landscape-320x180.jpg")]
    [InlineData("square-200x200.webp")]
    [InlineData("square-lossless-200x200.webp")]
    [InlineData("alpha-300x150.webp")]
    public void Probe_EveryTruncation_ReturnsNullOrTheRightSizeWithoutThrowing(string fixture)
    {
        var bytes = File.ReadAllBytes(MediaTestFiles.Fixture(fixture));
        var full = ImageProbe.Probe(bytes);
        Assert.NotNull(full);

        for (var length = 0; length < Math.Min(bytes.Length, 1024); length++)
        {
            var partial = ImageProbe.Probe(bytes.AsSpan(0, length));
            Assert.True(partial is null || partial == full, $"prefix of {length} bytes gave {partial}");
        }
    }

    [Fact]
    public void Probe_JpegWithThumbnailInApp1_ReportsTheMainFrame()
    {
        // An EXIF-like APP1 segment carrying a whole 320x180 JPEG (a thumbnail): its SOF must be skipped with the segment.
        var thumbnail = File.ReadAllBytes(MediaTestFiles.Fixture("landscape-320x180.jpg"));
        var main = File.ReadAllBytes(MediaTestFiles.Fixture("render-1280x720.jpg"));
        var app1Payload = new byte[] { 0x45, 0x78, 0x69, 0x66, 0, 0 }.Concat(thumbnail).ToArray();
        var length = app1Payload.Length + 2;
        var app1 = new byte[] { 0xFF, 0xE1, (byte)(length >> 8), (byte)length }.Concat(app1Payload);
        var jpeg = main.Take(2).Concat(app1).Concat(main.Skip(2)).ToArray();

        Assert.Equal(new ImageInfo("jpeg", "image/jpeg", 1280, 720), ImageProbe.Probe(jpeg));
    }

    [Fact]
    public void Probe_JpegWithExifOrientation_ReportsItWithTheStoredSize()
    {
        // Made by exiftool (big-endian EXIF): stored 144x96, to be turned 90° clockwise.
        var bytes = File.ReadAllBytes(MediaTestFiles.Fixture("orientation-6.jpg"));

        Assert.Equal(new ImageInfo("jpeg", "image/jpeg", 144, 96, 6), ImageProbe.Probe(bytes));
    }

    [Theory]
    [InlineData(true, 8, 8)]
    [InlineData(false, 3, 3)]
    [InlineData(true, 1, 1)]
    [InlineData(true, 9, 1)] // out of range: viewers show it as stored
    [InlineData(false, 0, 1)]
    public void Probe_ExifOrientationInEitherByteOrder_IsRead(bool littleEndian, int tagged, int reported)
    {
        var main = File.ReadAllBytes(MediaTestFiles.Fixture("render-1280x720.jpg"));
        var jpeg = main.Take(2).Concat(ExifApp1(littleEndian, (ushort)tagged)).Concat(main.Skip(2)).ToArray();

        Assert.Equal(new ImageInfo("jpeg", "image/jpeg", 1280, 720, reported), ImageProbe.Probe(jpeg));
    }

    [Fact]
    public void Probe_ExifCutShort_IsUprightAndNeverThrows()
    {
        var app1 = ExifApp1(littleEndian: true, 6);
        for (var keep = 4; keep < app1.Length; keep++)
        {
            // A segment whose length claims only what is kept, so the walk goes on to the frame header.
            var cut = app1[..keep];
            cut[2] = (byte)((keep - 2) >> 8);
            cut[3] = (byte)(keep - 2);
            var main = File.ReadAllBytes(MediaTestFiles.Fixture("render-1280x720.jpg"));
            var entryWhole = keep >= app1.Length - 4; // only IFD0's next-IFD offset is missing

            Assert.Equal(entryWhole ? 6 : 1, ImageProbe.Probe([.. main.Take(2), .. cut, .. main.Skip(2)])!.Orientation);
        }
    }

    [Fact]
    public void IsHeif_AnIPhoneStyleHeic_IsHeifAndNoFormatFalTakes()
    {
        var heic = File.ReadAllBytes(MediaTestFiles.Fixture("portrait.heic"));

        Assert.True(ImageProbe.IsHeif(heic));
        Assert.Null(ImageProbe.DetectFormat(heic));
        Assert.Null(ImageProbe.Probe(heic));
    }

    [Theory]
    [InlineData("mif1", "heic", true)]
    [InlineData("heix", "mif1", true)]
    [InlineData("isom", "iso2", false)] // MP4
    [InlineData("qt  ", "qt  ", false)] // MOV
    public void IsHeif_ReadsTheFtypBrands(string major, string compatible, bool heif)
    {
        byte[] head = [0, 0, 0, 20, .. "ftyp"u8, .. Encoding.ASCII.GetBytes(major), 0, 0, 0, 0, .. Encoding.ASCII.GetBytes(compatible)];

        Assert.Equal(heif, ImageProbe.IsHeif(head));
        Assert.False(ImageProbe.IsHeif(File.ReadAllBytes(MediaTestFiles.Fixture("landscape-320x180.jpg"))));
    }

    /// <summary>APP1 holding EXIF with one IFD0 entry: Orientation (0x0112), SHORT, count 1.</summary>
    private static byte[] ExifApp1(bool littleEndian, ushort orientation)
    {
        byte[] U16(ushort v) => littleEndian ? [(byte)v, (byte)(v >> 8)] : [(byte)(v >> 8), (byte)v];
        byte[] U32(uint v) => littleEndian ? [(byte)v, (byte)(v >> 8), (byte)(v >> 16), (byte)(v >> 24)]
            : [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
        byte[] tiff = [.. (littleEndian ? "II"u8 : "MM"u8), .. U16(42), .. U32(8),
            .. U16(1), .. U16(0x0112), .. U16(3), .. U32(1), .. U16(orientation), 0, 0, .. U32(0)];
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        var length = payload.Length + 2;
        return [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
    }

    [Fact]
    public void Probe_ProgressiveJpegFrameHeader_IsRecognised()
    {
        // SOI, a fill byte before the marker, then SOF2 (progressive): length 17, precision 8, height 600, width 800.
        byte[] jpeg =
        [
            0xFF, 0xD8, 0xFF, 0xFF, 0xC2, 0x00, 0x11, 0x08, 0x02, 0x58, 0x03, 0x20, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11,
            0x01,
        ];

        Assert.Equal(new ImageInfo("jpeg", "image/jpeg", 800, 600), ImageProbe.Probe(jpeg));
    }

    [Fact]
    public void Probe_JpegWithScanBeforeFrame_ReturnsNull()
    {
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00];

        Assert.Null(ImageProbe.Probe(jpeg));
        Assert.Equal("jpeg", ImageProbe.DetectFormat(jpeg));
    }

    [Fact]
    public void Probe_DefineHuffmanTableIsNotMistakenForAFrame()
    {
        // DHT (C4) lies inside the SOF range but carries no dimensions; SOF0 follows it.
        byte[] jpeg =
        [
            0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x04, 0xAA, 0xBB, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x20, 0x01, 0x01, 0x11, 0x00,
        ];

        Assert.Equal(new ImageInfo("jpeg", "image/jpeg", 32, 16), ImageProbe.Probe(jpeg));
    }

    [Fact]
    public void Probe_PngWithZeroWidth_ReturnsNull()
    {
        var bytes = File.ReadAllBytes(MediaTestFiles.Fixture("portrait-64x96.png"));
        bytes[16] = bytes[17] = bytes[18] = bytes[19] = 0;

        Assert.Null(ImageProbe.Probe(bytes));
        Assert.Equal("png", ImageProbe.DetectFormat(bytes));
    }

    private static string FirstWebpChunk(string fixture) =>
        System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(MediaTestFiles.Fixture(fixture)), 12, 4);
}
