using ImageMagick;
using Pipeline.Core.Inbox;

namespace Pipeline.UnitTests.Inbox;

public sealed class PhotoNormalizerTests
{
    private static readonly PhotoNormalizer Normalizer = new();

    private static async Task<(PhotoNormalization? Done, MemoryStream Output)> NormalizeAsync(
        byte[] photo, string name, bool keepLocation = false)
    {
        var output = new MemoryStream();
        var done = await Normalizer.NormalizeAsync(
            new MemoryStream(photo), name, output, keepLocation, TestContext.Current.CancellationToken);
        output.Position = 0;
        return (done, output);
    }

    private static Task<(PhotoNormalization? Done, MemoryStream Output)> NormalizeAsync(string fixture, bool keepLocation = false) =>
        NormalizeAsync(PhotoFixtures.Bytes(fixture), fixture, keepLocation);

    private static MagickImage ReadJpeg(MemoryStream output)
    {
        var image = new MagickImage(output);
        Assert.Equal(MagickFormat.Jpeg, image.Format);
        return image;
    }

    [Theory]
    [InlineData("plain.jpg")]
    [InlineData("plain.png")]
    [InlineData("plain.webp")]
    public async Task NormalizeAsync_AnUprightPhotoFalTakesWithoutLocation_IsLeftAlone(string fixture)
    {
        var (done, output) = await NormalizeAsync(fixture);

        Assert.Null(done);
        Assert.Equal(0, output.Length);
    }

    [Theory]
    [InlineData("orientation-6.jpg", 90)]
    [InlineData("orientation-3.jpg", 180)]
    [InlineData("orientation-8.jpg", 270)]
    public async Task NormalizeAsync_ASidewaysJpeg_ComesOutWithUprightPixelsAndNoOrientationTag(string fixture, int degrees)
    {
        var (done, output) = await NormalizeAsync(fixture);

        var hadLocation = fixture == "orientation-6.jpg";
        Assert.Equal(new PhotoNormalization(PhotoFormat.Jpeg, degrees, Mirrored: false, LocationRemoved: hadLocation, 96, 144), done);
        using var image = ReadJpeg(output);
        Assert.Equal((96u, 144u), (image.Width, image.Height));
        PhotoFixtures.AssertUpright(image);
        Assert.Null(image.GetExifProfile());
        Assert.Equal((uint)PhotoNormalizer.JpegQuality, image.Quality);
    }

    [Theory]
    [InlineData(1, 0, false)]
    [InlineData(2, 0, true)]
    [InlineData(3, 180, false)]
    [InlineData(4, 180, true)]
    [InlineData(5, 270, true)]
    [InlineData(6, 90, false)]
    [InlineData(7, 90, true)]
    [InlineData(8, 270, false)]
    public async Task NormalizeAsync_EveryExifOrientation_EndsUpright(int orientation, int degrees, bool mirrored)
    {
        // The upright scene stored as a camera would for that tag: the inverse of what the tag asks a viewer to do.
        using var stored = new MagickImage(PhotoFixtures.Bytes("plain.png"));
        switch (orientation)
        {
            case 2: stored.Flop(); break;
            case 3: stored.Rotate(180); break;
            case 4: stored.Flip(); break;
            case 5: stored.Transpose(); break;
            case 6: stored.Rotate(270); break;
            case 7: stored.Transverse(); break;
            case 8: stored.Rotate(90); break;
        }

        var exif = new ExifProfile();
        exif.SetValue(ExifTag.Orientation, (ushort)orientation);
        stored.SetProfile(exif);
        stored.Orientation = (Orientation)orientation; // ImageMagick writes this into the EXIF tag
        stored.Quality = 95;

        // Orientation 1 is already fine, so it needs a reason to be copied: a HEIC name.
        var (done, output) = await NormalizeAsync(stored.ToByteArray(MagickFormat.Jpeg), orientation == 1 ? "photo.heic" : "photo.jpg");

        Assert.NotNull(done);
        Assert.Equal((degrees, mirrored, 96, 144), (done.RotatedDegrees, done.Mirrored, done.Width, done.Height));
        using var image = ReadJpeg(output);
        PhotoFixtures.AssertUpright(image);
    }

    [Fact]
    public async Task NormalizeAsync_AnIPhonePortraitHeic_BecomesAnUprightJpegTurnedOnceWithoutItsLocation()
    {
        // Its irot box and its EXIF orientation both say 90° clockwise: applying both would leave it on its side.
        var (done, output) = await NormalizeAsync("portrait.heic");

        Assert.Equal(new PhotoNormalization(PhotoFormat.Heif, 90, Mirrored: false, LocationRemoved: true, 96, 144), done);
        using var image = ReadJpeg(output);
        Assert.Equal((96u, 144u), (image.Width, image.Height));
        PhotoFixtures.AssertUpright(image);
        Assert.Empty(image.ProfileNames);
    }

    [Fact]
    public async Task NormalizeAsync_ALandscapeHeic_BecomesAJpegAsItIs()
    {
        var (done, output) = await NormalizeAsync("landscape.heic");

        Assert.Equal(new PhotoNormalization(PhotoFormat.Heif, 0, Mirrored: false, LocationRemoved: false, 144, 96), done);
        using var image = ReadJpeg(output);
        PhotoFixtures.AssertUpright(image);
        Assert.Null(image.GetExifProfile()); // its camera's name goes too
    }

    [Theory]
    [InlineData("IMG_0001.HEIC")]
    [InlineData("IMG_0001.heif")]
    [InlineData("IMG_0001.jpg")]
    [InlineData("no-extension")]
    public async Task NormalizeAsync_HeicContent_IsConvertedWhateverItsName(string name)
    {
        var (done, _) = await NormalizeAsync(PhotoFixtures.Bytes("portrait.heic"), name);

        Assert.Equal(PhotoFormat.Heif, done?.From);
    }

    [Fact]
    public async Task NormalizeAsync_AFineJpegUnderAHeicName_IsCopiedSoItCanBeNamedAsAJpeg()
    {
        var (done, output) = await NormalizeAsync(PhotoFixtures.Bytes("plain.jpg"), "IMG_0002.HEIC");

        Assert.Equal(new PhotoNormalization(PhotoFormat.Jpeg, 0, false, false, 96, 144), done);
        using var image = ReadJpeg(output);
        PhotoFixtures.AssertUpright(image);
    }

    [Fact]
    public async Task NormalizeAsync_AnUprightJpegWithALocation_LosesItAndAllOtherMetadata()
    {
        var (done, output) = await NormalizeAsync("location.jpg");

        Assert.Equal(new PhotoNormalization(PhotoFormat.Jpeg, 0, Mirrored: false, LocationRemoved: true, 96, 144), done);
        using var image = ReadJpeg(output);
        Assert.Empty(image.ProfileNames);
        PhotoFixtures.AssertUpright(image);
    }

    [Fact]
    public async Task NormalizeAsync_AnUprightJpegWithALocationToKeep_IsLeftAlone()
    {
        var (done, output) = await NormalizeAsync("location.jpg", keepLocation: true);

        Assert.Null(done);
        Assert.Equal(0, output.Length);
    }

    [Fact]
    public async Task NormalizeAsync_ASidewaysJpegWithALocationToKeep_KeepsItsExifButNotItsOrientation()
    {
        var (done, output) = await NormalizeAsync("orientation-6.jpg", keepLocation: true);

        Assert.Equal(new PhotoNormalization(PhotoFormat.Jpeg, 90, Mirrored: false, LocationRemoved: false, 96, 144), done);
        using var image = ReadJpeg(output);
        PhotoFixtures.AssertUpright(image);
        var exif = image.GetExifProfile();
        Assert.NotNull(exif);
        Assert.NotNull(exif.GetValue(ExifTag.GPSLatitude));
        Assert.NotNull(exif.GetValue(ExifTag.GPSLongitude));
        Assert.Equal("Fixture", exif.GetValue(ExifTag.Make)?.Value);
        Assert.Null(exif.GetValue(ExifTag.Orientation));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NormalizeAsync_ALocationOnlyInXmp_CountsAsALocation(bool keepLocation)
    {
        using var photo = new MagickImage(PhotoFixtures.Bytes("plain.jpg"));
        photo.SetProfile(new XmpProfile("""
            <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
            <rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.504N" exif:GPSLongitude="2,17.67E"/>
            </rdf:RDF></x:xmpmeta>
            """u8.ToArray()));

        var (done, output) = await NormalizeAsync(photo.ToByteArray(MagickFormat.Jpeg), "xmp.jpg", keepLocation);

        Assert.Equal(!keepLocation, done?.LocationRemoved ?? false);
        if (!keepLocation)
        {
            using var image = ReadJpeg(output);
            Assert.Null(image.GetXmpProfile());
        }
    }

    [Fact]
    public async Task NormalizeAsync_AHeaderClaimingTooManyPixels_IsRefusedBeforeDecoding()
    {
        // A PNG whose header says 20000×10000 (200 megapixels) but whose picture data is a few bytes: only decoding would fail.
        byte[] ihdr = [.. "IHDR"u8, 0, 0, 0x4E, 0x20, 0, 0, 0x27, 0x10, 8, 2, 0, 0, 0];
        byte[] idat = [.. "IDAT"u8, 0x78, 0x9C, 0x63, 0, 0, 0, 0, 0, 0, 0];
        byte[] png = [0x89, .. "PNG\r\n\x1A\n"u8, .. Chunk(ihdr), .. Chunk(idat), .. Chunk([.. "IEND"u8])];

        var refused = await Assert.ThrowsAsync<PhotoUnreadableException>(() => NormalizeAsync(png, "huge.png"));

        Assert.Contains("huge.png is 20000×10000 pixels, more than 100 megapixels", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>A PNG chunk: its data's length, then type and data, then their CRC-32.</summary>
    private static byte[] Chunk(byte[] typeAndData)
    {
        var length = typeAndData.Length - 4;
        var crc = System.IO.Hashing.Crc32.HashToUInt32(typeAndData);
        return [(byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length, .. typeAndData,
            (byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc];
    }

    [Fact]
    public async Task NormalizeAsync_AnAdobeRgbPhoto_ComesOutInSrgbWithoutAProfile()
    {
        // A green Adobe RGB stores as about (115, 199, 75): read without its profile it would be far off.
        using var photo = new MagickImage(new MagickColor(30, 200, 60), 64, 64);
        photo.SetProfile(ColorProfiles.SRGB);
        photo.TransformColorSpace(ColorProfiles.AdobeRGB1998);
        var sideways = new ExifProfile();
        sideways.SetValue(ExifTag.Orientation, (ushort)6);
        photo.SetProfile(sideways);
        photo.Orientation = Orientation.RightTop;
        photo.Quality = 98;

        var (done, output) = await NormalizeAsync(photo.ToByteArray(MagickFormat.Jpeg), "adobe.jpg");

        Assert.NotNull(done);
        using var image = ReadJpeg(output);
        Assert.Null(image.GetColorProfile());
        using var pixels = image.GetPixels();
        PhotoFixtures.AssertNear((30, 200, 60), pixels.GetPixel(32, 32).ToColor()!, "centre", tolerance: 20);
    }

    [Fact]
    public async Task NormalizeAsync_APngWithTransparencyToConvert_IsLaidOnWhite()
    {
        using var photo = new MagickImage(MagickColors.Transparent, 40, 30);
        var (done, output) = await NormalizeAsync(photo.ToByteArray(MagickFormat.Png), "clear.heic");

        Assert.Equal(PhotoFormat.Png, done?.From);
        using var image = ReadJpeg(output);
        using var pixels = image.GetPixels();
        PhotoFixtures.AssertNear((255, 255, 255), pixels.GetPixel(20, 15).ToColor()!, "centre");
    }

    [Theory]
    [InlineData("corrupt.jpg", "JPEG")]
    [InlineData("corrupt.heic", "HEIC")]
    public async Task NormalizeAsync_ADamagedPhoto_IsRefusedWithAMessageTheUserCanActOn(string fixture, string format)
    {
        var refused = await Assert.ThrowsAsync<PhotoUnreadableException>(() => NormalizeAsync(fixture));

        Assert.Contains(fixture, refused.Message, StringComparison.Ordinal);
        Assert.Contains($"looks like a {format} photo but could not be read", refused.Message, StringComparison.Ordinal);
        Assert.Contains("export or save it again", refused.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<MagickException>(refused.InnerException);
    }

    [Theory]
    [InlineData("notes.jpg")]
    [InlineData("clip.heic")]
    public async Task NormalizeAsync_SomethingElse_IsRefusedAsNotAPhoto(string name)
    {
        var text = "just some text, not a photo"u8.ToArray();

        var refused = await Assert.ThrowsAsync<PhotoUnreadableException>(() => NormalizeAsync(text, name));

        Assert.Equal($"{name} is not a JPEG, PNG, WebP or HEIC photo. Save or export it in one of those formats and drop it again.",
            refused.Message);
    }

    [Fact]
    public async Task NormalizeAsync_AnMp4_IsRefusedAsNotAPhoto()
    {
        byte[] mp4 = [0, 0, 0, 24, .. "ftypisom"u8, 0, 0, 2, 0, .. "isomiso2"u8];

        await Assert.ThrowsAsync<PhotoUnreadableException>(() => NormalizeAsync(mp4, "clip.jpg"));
    }

    [Fact]
    public async Task NormalizeAsync_MoreThan30Megabytes_IsRefusedWithoutReadingFurther()
    {
        var photo = new CountingStream(PhotoFixtures.Bytes("plain.jpg"), totalLength: 64L * 1024 * 1024);

        var refused = await Assert.ThrowsAsync<PhotoUnreadableException>(() =>
            Normalizer.NormalizeAsync(photo, "huge.jpg", Stream.Null, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("huge.jpg is larger than 30 MB", refused.Message, StringComparison.Ordinal);
        Assert.InRange(photo.Position, 30L * 1024 * 1024, 31L * 1024 * 1024);
    }

    /// <summary>A long stream that starts like <paramref name="head"/> and goes on with zeros, without holding them.</summary>
    private sealed class CountingStream(byte[] head, long totalLength) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => totalLength;

        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, totalLength - Position);
            Array.Clear(buffer, offset, n);
            if (Position < head.Length)
            {
                var fromHead = (int)Math.Min(n, head.Length - Position);
                Array.Copy(head, Position, buffer, offset, fromHead);
            }

            Position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
