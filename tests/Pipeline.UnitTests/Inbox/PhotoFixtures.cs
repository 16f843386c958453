using ImageMagick;

namespace Pipeline.UnitTests.Inbox;

/// <summary>The committed photos of <c>Inbox/Fixtures</c> (see its README), and how to tell that a picture is upright.</summary>
internal static class PhotoFixtures
{
    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Inbox", "Fixtures", name));

    /// <summary>The scene's red square is top-left, its green one top-right, blue below: upright and not mirrored.</summary>
    public static void AssertUpright(IMagickImage<byte> image)
    {
        using var pixels = image.GetPixels();
        var right = (int)image.Width - 8;
        AssertNear((255, 0, 0), pixels.GetPixel(8, 8).ToColor()!, "top-left");
        AssertNear((0, 255, 0), pixels.GetPixel(right, 8).ToColor()!, "top-right");
        AssertNear((32, 80, 192), pixels.GetPixel((int)image.Width / 2, (int)image.Height - 8).ToColor()!, "bottom");
    }

    /// <summary>JPEG moves colours a little; the scene's colours are far apart.</summary>
    public static void AssertNear((int R, int G, int B) expected, IMagickColor<byte> actual, string where, int tolerance = 40)
    {
        var distance = Math.Abs(expected.R - actual.R) + Math.Abs(expected.G - actual.G) + Math.Abs(expected.B - actual.B);
        Assert.True(distance < tolerance, $"{where}: expected about {expected}, found ({actual.R}, {actual.G}, {actual.B})");
    }
}
