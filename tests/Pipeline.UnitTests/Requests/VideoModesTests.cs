using System.Text.Json;
using Pipeline.Core.Requests;

namespace Pipeline.UnitTests.Requests;

public sealed class VideoModesTests
{
    [Theory]
    [InlineData(VideoMode.TextToVideo, "text-to-video")]
    [InlineData(VideoMode.ImageToVideo, "image-to-video")]
    [InlineData(VideoMode.ReferenceToVideo, "reference-to-video")]
    public void Slug_EachMode_IsItsUrlName(VideoMode mode, string slug)
    {
        Assert.Equal(slug, mode.Slug());
    }

    [Theory]
    [InlineData(VideoMode.TextToVideo, "bytedance/seedance-2.0/fast/text-to-video")]
    [InlineData(VideoMode.ImageToVideo, "bytedance/seedance-2.0/fast/image-to-video")]
    [InlineData(VideoMode.ReferenceToVideo, "bytedance/seedance-2.0/fast/reference-to-video")]
    public void EndpointId_EachMode_IsFalsSeedanceFastEndpoint(VideoMode mode, string endpointId)
    {
        Assert.Equal(endpointId, mode.EndpointId());
    }

    [Theory]
    [InlineData("text-to-video", VideoMode.TextToVideo)]
    [InlineData("image-to-video", VideoMode.ImageToVideo)]
    [InlineData("reference-to-video", VideoMode.ReferenceToVideo)]
    [InlineData("Image-To-Video", VideoMode.ImageToVideo)]
    public void TryParse_Slug_GivesTheMode(string slug, VideoMode mode)
    {
        Assert.True(VideoModes.TryParse(slug, out var parsed));

        Assert.Equal(mode, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("TextToVideo")]
    [InlineData("video-to-video")]
    [InlineData("text-to-video ")]
    public void TryParse_Unknown_IsFalse(string? slug)
    {
        Assert.False(VideoModes.TryParse(slug, out _));
    }

    [Fact]
    public void All_Always_HoldsEachModeOnce()
    {
        Assert.Equal([VideoMode.TextToVideo, VideoMode.ImageToVideo, VideoMode.ReferenceToVideo], VideoModes.All);
    }

    [Theory]
    [InlineData(VideoMode.TextToVideo)]
    [InlineData(VideoMode.ImageToVideo)]
    [InlineData(VideoMode.ReferenceToVideo)]
    public void Json_EachMode_IsWrittenAndReadAsItsSlug(VideoMode mode)
    {
        var json = JsonSerializer.Serialize(mode);

        Assert.Equal($"\"{mode.Slug()}\"", json);
        Assert.Equal(mode, JsonSerializer.Deserialize<VideoMode>(json));
    }
}
