using FalEmulator.Media;

namespace FalEmulator.Tests.Media;

public class VideoGeometryTests
{
    [Theory]
    [InlineData("720p", "16:9", 1280, 720)]
    [InlineData("480p", "16:9", 854, 480)]
    [InlineData("720p", "9:16", 720, 1280)]
    [InlineData("480p", "9:16", 480, 854)]
    [InlineData("720p", "1:1", 720, 720)]
    [InlineData("480p", "1:1", 480, 480)]
    [InlineData("720p", "21:9", 1680, 720)]
    [InlineData("480p", "21:9", 1120, 480)]
    [InlineData("480p", "4:3", 640, 480)]
    [InlineData("720p", "4:3", 960, 720)]
    [InlineData("480p", "3:4", 480, 640)]
    [InlineData("720p", "3:4", 720, 960)]
    public void Resolve_ExplicitRatio_GivesEvenSizeWithRequestedShortSide(string resolution, string aspectRatio, int width, int height)
    {
        Assert.Equal((width, height), VideoGeometry.Resolve(resolution, aspectRatio, startImage: null));
    }

    [Fact]
    public void Resolve_ExplicitRatio_IgnoresTheImage()
    {
        var portrait = new ImageInfo("png", "image/png", 64, 96);

        Assert.Equal((1280, 720), VideoGeometry.Resolve("720p", "16:9", portrait));
    }

    [Fact]
    public void Resolve_AutoWithoutImage_Is16By9()
    {
        Assert.Equal((1280, 720), VideoGeometry.Resolve("720p", "auto", startImage: null));
        Assert.Equal((854, 480), VideoGeometry.Resolve("480p", "auto", startImage: null));
    }

    [Theory]
    [InlineData(1920, 1080, 854, 480)] // 16:9
    [InlineData(64, 96, 480, 640)] // 2:3 is nearer 3:4 than 9:16
    [InlineData(1080, 1920, 480, 854)] // 9:16
    [InlineData(1000, 1000, 480, 480)] // 1:1
    [InlineData(2560, 1080, 1120, 480)] // ultra-wide -> 21:9
    [InlineData(4000, 1000, 1120, 480)] // wider than anything -> the widest
    [InlineData(1024, 768, 640, 480)] // 4:3
    [InlineData(1100, 1000, 480, 480)] // nearly square
    public void Resolve_AutoWithImage_UsesNearestSupportedRatio(int imageWidth, int imageHeight, int width, int height)
    {
        var image = new ImageInfo("jpeg", "image/jpeg", imageWidth, imageHeight);

        Assert.Equal((width, height), VideoGeometry.Resolve("480p", "auto", image));
    }

    [Theory]
    [InlineData("1080p", "16:9")]
    [InlineData("720p", "2:1")]
    [InlineData("720p", "16/9")]
    public void Resolve_UnknownValue_Throws(string resolution, string aspectRatio)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VideoGeometry.Resolve(resolution, aspectRatio, startImage: null));
    }

    [Theory]
    [InlineData("auto", 5)]
    [InlineData("4", 4)]
    [InlineData("5", 5)]
    [InlineData("10", 10)]
    [InlineData("15", 15)]
    public void ResolveDurationSeconds_ValidValue_ReturnsSeconds(string duration, int seconds)
    {
        Assert.Equal(seconds, VideoGeometry.ResolveDurationSeconds(duration));
    }

    [Theory]
    [InlineData("3")]
    [InlineData("16")]
    [InlineData("-5")]
    [InlineData("4.5")]
    [InlineData("five")]
    public void ResolveDurationSeconds_OutOfRange_Throws(string duration)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VideoGeometry.ResolveDurationSeconds(duration));
    }
}
