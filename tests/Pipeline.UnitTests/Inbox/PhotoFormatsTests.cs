using Pipeline.Core.Inbox;
using Pipeline.Core.Storage;

namespace Pipeline.UnitTests.Inbox;

public sealed class PhotoFormatsTests
{
    [Theory]
    [InlineData("photo.jpg", true)]
    [InlineData("trips/IMG_0001.HEIC", true)]
    [InlineData("photo.Heif", true)]
    [InlineData("photo.JPEG", true)]
    [InlineData("photo.webp", true)]
    [InlineData("photo.png", true)]
    [InlineData("photo.gif", false)]
    [InlineData("photo.heic.json", false)]
    [InlineData("heic", false)]
    public void IsPhoto_GoesByTheExtensionInAnyCase(string name, bool photo) => Assert.Equal(photo, PhotoFormats.IsPhoto(name));

    [Theory]
    [InlineData("plain.jpg", PhotoFormat.Jpeg)]
    [InlineData("plain.png", PhotoFormat.Png)]
    [InlineData("plain.webp", PhotoFormat.WebP)]
    [InlineData("portrait.heic", PhotoFormat.Heif)]
    public void Detect_GoesByTheContent(string fixture, PhotoFormat format) =>
        Assert.Equal(format, PhotoFormats.Detect(PhotoFixtures.Bytes(fixture)));

    [Theory]
    [InlineData("heic", null, true)]
    [InlineData("heix", null, true)] // 10-bit, as some cameras write
    [InlineData("hevc", null, true)] // an image sequence
    [InlineData("heim", null, true)]
    [InlineData("heis", null, true)]
    [InlineData("mif1", "heic", true)]
    [InlineData("msf1", "hevc", true)]
    [InlineData("MiHE", "mif1", true)] // an unknown major brand, a HEIF compatible one
    [InlineData("isom", "iso2", false)] // MP4
    [InlineData("qt  ", "qt  ", false)] // MOV
    [InlineData("avif", "avif", false)]
    public void IsHeif_ReadsTheFtypBrands(string major, string? compatible, bool heif)
    {
        byte[] head = [0, 0, 0, 24, .. "ftyp"u8, .. System.Text.Encoding.ASCII.GetBytes(major), 0, 0, 0, 0,
            .. System.Text.Encoding.ASCII.GetBytes(compatible ?? "null"), .. "null"u8];

        Assert.Equal(heif, InputSniffer.IsHeif(head));
    }

    [Fact]
    public void IsHeif_DoesNotReadPastTheFtypBox()
    {
        byte[] head = [0, 0, 0, 16, .. "ftypisom"u8, 0, 0, 0, 0, 0, 0, 0, 8, .. "heic"u8];

        Assert.False(InputSniffer.IsHeif(head));
    }

    [Fact]
    public void InputSniffer_StillTakesOnlyJpegPngAndWebPAsImages()
    {
        Assert.True(InputSniffer.IsImage(PhotoFixtures.Bytes("plain.jpg")));
        Assert.True(InputSniffer.IsImage(PhotoFixtures.Bytes("plain.png")));
        Assert.True(InputSniffer.IsImage(PhotoFixtures.Bytes("plain.webp")));
        Assert.False(InputSniffer.IsImage(PhotoFixtures.Bytes("portrait.heic")));
        Assert.False(InputSniffer.IsImage([]));
    }
}
