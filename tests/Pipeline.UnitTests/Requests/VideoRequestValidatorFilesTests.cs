using Pipeline.Core.Requests;
using static Pipeline.UnitTests.Requests.ValidatorHarness;

namespace Pipeline.UnitTests.Requests;

/// <summary>The file fields: which mode takes which, URL forms, list limits, and the prompt's @ImageN/@VideoN/@AudioN.</summary>
public sealed class VideoRequestValidatorFilesTests
{
    private const VideoMode T2V = VideoMode.TextToVideo;
    private const VideoMode I2V = VideoMode.ImageToVideo;
    private const VideoMode R2V = VideoMode.ReferenceToVideo;

    // ---- image-to-video ----

    [Fact]
    public void Validate_ImageToVideoWithoutImageUrl_ReportsImageUrlRequired()
    {
        var messages = Problems(I2V, """{ "prompt": "p" }""", "image_url");

        Assert.Equal(["is required for image-to-video"], messages);
    }

    [Fact]
    public void Validate_ImageToVideoWithImageUrl_KeepsIt()
    {
        var request = Valid(I2V, """{ "prompt": "p", "image_url": "https://a.example/start.png" }""");

        Assert.Equal("https://a.example/start.png", request.ImageUrl);
        Assert.Null(request.EndImageUrl);
    }

    [Fact]
    public void Validate_ImageToVideoWithEndImageUrl_KeepsBoth()
    {
        var request = Valid(
            I2V, """{ "prompt": "p", "image_url": "https://a.example/start.png", "end_image_url": "http://a.example/end.png" }""");

        Assert.Equal("https://a.example/start.png", request.ImageUrl);
        Assert.Equal("http://a.example/end.png", request.EndImageUrl);
        Assert.Equal([("image_url", "https://a.example/start.png"), ("end_image_url", "http://a.example/end.png")], request.Urls());
    }

    [Fact]
    public void Validate_ImageToVideoWithBadImageUrl_ReportsTheUrlNotRequired()
    {
        var messages = Problems(I2V, """{ "prompt": "p", "image_url": "ftp://a.example/start.png" }""", "image_url");

        Assert.Equal(["must be an absolute http or https URL"], messages);
    }

    // ---- fields that are not inputs of the mode ----

    [Theory]
    [InlineData(VideoMode.TextToVideo, "image_url", "\"https://a.example/1.png\"")]
    [InlineData(VideoMode.TextToVideo, "end_image_url", "\"https://a.example/1.png\"")]
    [InlineData(VideoMode.TextToVideo, "image_urls", "[\"https://a.example/1.png\"]")]
    [InlineData(VideoMode.TextToVideo, "video_urls", "[\"https://a.example/1.mp4\"]")]
    [InlineData(VideoMode.TextToVideo, "audio_urls", "[\"https://a.example/1.mp3\"]")]
    [InlineData(VideoMode.ImageToVideo, "image_urls", "[\"https://a.example/1.png\"]")]
    [InlineData(VideoMode.ImageToVideo, "video_urls", "[\"https://a.example/1.mp4\"]")]
    [InlineData(VideoMode.ImageToVideo, "audio_urls", "[\"https://a.example/1.mp3\"]")]
    [InlineData(VideoMode.ReferenceToVideo, "image_url", "\"https://a.example/1.png\"")]
    [InlineData(VideoMode.ReferenceToVideo, "end_image_url", "\"https://a.example/1.png\"")]
    public void Validate_FileFieldNotOfTheMode_IsRefusedByName(VideoMode mode, string field, string value)
    {
        var image = mode == I2V ? """ "image_url": "https://a.example/start.png", """ : "";

        var messages = Problems(mode, $$"""{ "prompt": "p", {{image}} "{{field}}": {{value}} }""", field);

        var message = Assert.Single(messages);
        Assert.StartsWith($"is not an input of {mode.Slug()}", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ImageUrlOnTextToVideo_SaysWhatTheModeTakes()
    {
        var messages = Problems(T2V, """{ "prompt": "p", "image_url": "https://a.example/1.png" }""", "image_url");

        Assert.Equal(["is not an input of text-to-video (it takes no files)"], messages);
    }

    [Fact]
    public void Validate_ImageUrlsOnImageToVideo_SaysWhatTheModeTakes()
    {
        var messages = Problems(I2V, """{ "prompt": "p", "image_url": "https://a.example/1.png", "image_urls": [] }""", "image_urls");

        Assert.Equal(["is not an input of image-to-video (it takes image_url, end_image_url)"], messages);
    }

    // ---- URL forms ----

    [Theory]
    [InlineData("https://cdn.example.com/a.png")]
    [InlineData("http://cdn.example.com/a.png")]
    [InlineData("https://cdn.example.com:8443/dir/a.png?sig=x&se=1")]
    [InlineData("HTTPS://CDN.EXAMPLE.COM/A.PNG")]
    public void Validate_AbsoluteHttpUrl_IsAccepted(string url)
    {
        var request = Valid(I2V, $$"""{ "prompt": "p", "image_url": "{{url}}" }""");

        Assert.Equal(url, request.ImageUrl);
    }

    [Theory]
    [InlineData("ftp://cdn.example.com/a.png")]
    [InlineData("file:///tmp/a.png")]
    [InlineData("/images/a.png")]
    [InlineData("images/a.png")]
    [InlineData("a.png")]
    [InlineData("//cdn.example.com/a.png")]
    [InlineData("https://")]
    [InlineData("data:image/png;base64,iVBORw0KGgo=")]
    [InlineData("blob:inbox/trips/photo.jpg")]
    [InlineData("")]
    public void Validate_UrlNotAbsoluteHttp_IsRefused(string url)
    {
        var messages = Problems(I2V, $$"""{ "prompt": "p", "image_url": "{{url}}" }""", "image_url");

        Assert.Equal(["must be an absolute http or https URL"], messages);
    }

    [Fact]
    public void Validate_BlobReferenceWhenAllowed_IsKept()
    {
        var request = Valid(
            I2V,
            """{ "prompt": "p", "image_url": "blob:inbox/trips/photo.jpg", "end_image_url": "blob:inbox/trips/end.jpg" }""",
            allowBlobReferences: true);

        Assert.Equal("blob:inbox/trips/photo.jpg", request.ImageUrl);
        Assert.Equal("blob:inbox/trips/end.jpg", request.EndImageUrl);
    }

    [Fact]
    public void Validate_BlobReferencesInListsWhenAllowed_AreKept()
    {
        var request = Valid(
            R2V, """{ "prompt": "p", "image_urls": ["blob:inbox/a.png", "https://a.example/b.png"] }""", allowBlobReferences: true);

        Assert.Equal(["blob:inbox/a.png", "https://a.example/b.png"], request.ImageUrls);
    }

    [Theory]
    [InlineData("blob:inbox")]
    [InlineData("blob:inbox/")]
    [InlineData("blob:/photo.jpg")]
    [InlineData("BLOB:inbox/photo.jpg")]
    [InlineData("ftp://cdn.example.com/a.png")]
    public void Validate_NotABlobReferenceEvenWhenAllowed_IsRefused(string url)
    {
        var messages = Problems(I2V, $$"""{ "prompt": "p", "image_url": "{{url}}" }""", "image_url", allowBlobReferences: true);

        Assert.Equal(["must be an absolute http or https URL"], messages);
    }

    [Fact]
    public void Validate_ImageUrlNotAString_ReportsMustBeString()
    {
        var messages = Problems(I2V, """{ "prompt": "p", "image_url": ["https://a.example/1.png"] }""", "image_url");

        Assert.Equal(["must be a string"], messages);
    }

    // ---- lists: items ----

    [Fact]
    public void Validate_BadListItem_IsNamedWithItsIndex()
    {
        var (request, errors) = Validate(R2V, """
            { "prompt": "p", "image_urls": ["https://a.example/1.png", "https://a.example/2.png", "ftp://a.example/3.png"] }
            """);

        Assert.Null(request);
        Assert.Equal(["image_urls[2]"], errors.Keys);
        Assert.Equal(["must be an absolute http or https URL"], errors["image_urls[2]"]);
    }

    [Fact]
    public void Validate_SeveralBadItemsInSeveralLists_NamesEachOne()
    {
        var (_, errors) = Validate(R2V, """
            { "prompt": "p",
              "image_urls": [42, "https://a.example/2.png", null],
              "video_urls": ["https://a.example/1.mp4", "relative.mp4"],
              "audio_urls": [{ "url": "https://a.example/1.mp3" }] }
            """);

        Assert.Equal(["audio_urls[0]", "image_urls[0]", "image_urls[2]", "video_urls[1]"], errors.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("image_urls")]
    [InlineData("video_urls")]
    [InlineData("audio_urls")]
    public void Validate_ListFieldNotAList_ReportsMustBeAList(string field)
    {
        var messages = Problems(R2V, $$"""{ "prompt": "p", "{{field}}": "https://a.example/1.bin" }""", field);

        Assert.Equal(["must be a list of URLs"], messages);
    }

    [Fact]
    public void Validate_ReferenceToVideoWithAllLists_KeepsThemInOrder()
    {
        var request = Valid(R2V, """
            { "prompt": "@Image1 @Image2 @Video1 @Audio1",
              "image_urls": ["https://a.example/1.png", "https://a.example/2.png"],
              "video_urls": ["https://a.example/1.mp4"],
              "audio_urls": ["https://a.example/1.mp3"] }
            """);

        Assert.Equal(["https://a.example/1.png", "https://a.example/2.png"], request.ImageUrls);
        Assert.Equal(["https://a.example/1.mp4"], request.VideoUrls);
        Assert.Equal(["https://a.example/1.mp3"], request.AudioUrls);
        Assert.Equal(["image_urls[0]", "image_urls[1]", "video_urls[0]", "audio_urls[0]"], request.Urls().Select(u => u.Field));
    }

    [Fact]
    public void Validate_ReferenceToVideoWithoutFiles_IsValid()
    {
        var request = Valid(R2V, """{ "prompt": "p" }""");

        Assert.Empty(request.ImageUrls);
        Assert.Empty(request.VideoUrls);
        Assert.Empty(request.AudioUrls);
    }

    // ---- lists: limits ----

    [Fact]
    public void Validate_NineImages_IsValid()
    {
        var request = Valid(R2V, $$"""{ "prompt": "p", "image_urls": {{Urls(9)}} }""");

        Assert.Equal(9, request.ImageUrls.Count);
    }

    [Fact]
    public void Validate_TenImages_ReportsAtMostNine()
    {
        var messages = Problems(R2V, $$"""{ "prompt": "p", "image_urls": {{Urls(10)}} }""", "image_urls");

        Assert.Equal(["holds 10 items; at most 9"], messages);
    }

    [Fact]
    public void Validate_ThreeVideos_IsValid()
    {
        var request = Valid(R2V, $$"""{ "prompt": "p", "video_urls": {{Urls(3, "vid")}} }""");

        Assert.Equal(3, request.VideoUrls.Count);
    }

    [Fact]
    public void Validate_FourVideos_ReportsAtMostThree()
    {
        var messages = Problems(R2V, $$"""{ "prompt": "p", "video_urls": {{Urls(4, "vid")}} }""", "video_urls");

        Assert.Equal(["holds 4 items; at most 3"], messages);
    }

    [Fact]
    public void Validate_ThreeAudiosWithAnImage_IsValid()
    {
        var request = Valid(R2V, $$"""{ "prompt": "p", "image_urls": {{Urls(1)}}, "audio_urls": {{Urls(3, "aud")}} }""");

        Assert.Equal(3, request.AudioUrls.Count);
    }

    [Fact]
    public void Validate_FourAudios_ReportsAtMostThree()
    {
        var messages = Problems(R2V, $$"""{ "prompt": "p", "image_urls": {{Urls(1)}}, "audio_urls": {{Urls(4, "aud")}} }""", "audio_urls");

        Assert.Equal(["holds 4 items; at most 3"], messages);
    }

    [Fact]
    public void Validate_NineImagesAndThreeVideos_IsValidAtTwelve()
    {
        var request = Valid(R2V, $$"""{ "prompt": "p", "image_urls": {{Urls(9)}}, "video_urls": {{Urls(3, "vid")}} }""");

        Assert.Equal(12, request.Urls().Count());
    }

    [Fact]
    public void Validate_NineImagesThreeVideosAndOneAudio_ReportsAtMostTwelveInAll()
    {
        var (request, errors) = Validate(R2V, $$"""
            { "prompt": "p", "image_urls": {{Urls(9)}}, "video_urls": {{Urls(3, "vid")}}, "audio_urls": {{Urls(1, "aud")}} }
            """);

        Assert.Null(request);
        Assert.Equal(["image_urls"], errors.Keys);
        Assert.Equal(["image_urls, video_urls and audio_urls hold 13 files; at most 12 in all"], errors["image_urls"]);
    }

    // ---- audio needs an image or a video ----

    [Fact]
    public void Validate_AudioAlone_ReportsAudioNeedsImageOrVideo()
    {
        var messages = Problems(R2V, $$"""{ "prompt": "p", "audio_urls": {{Urls(1, "aud")}} }""", "audio_urls");

        Assert.Equal(["reference audio needs at least one reference image or video"], messages);
    }

    [Theory]
    [InlineData("image_urls")]
    [InlineData("video_urls")]
    public void Validate_AudioWithAnImageOrAVideo_IsValid(string companion)
    {
        var request = Valid(R2V, $$"""{ "prompt": "p", "{{companion}}": {{Urls(1)}}, "audio_urls": {{Urls(2, "aud")}} }""");

        Assert.Equal(2, request.AudioUrls.Count);
    }

    // ---- @ImageN / @VideoN / @AudioN in the prompt ----

    [Fact]
    public void Validate_PromptReferencesEveryProvidedItem_IsValid()
    {
        var request = Valid(R2V, $$"""
            { "prompt": "@Image1 meets @Image3 to the sound of @Audio2, moving like @Video2",
              "image_urls": {{Urls(3)}}, "video_urls": {{Urls(2, "vid")}}, "audio_urls": {{Urls(2, "aud")}} }
            """);

        Assert.Equal(3, request.ImageUrls.Count);
    }

    [Fact]
    public void Validate_PromptImageBeyondTheList_NamesItemAndCount()
    {
        var messages = Problems(R2V, $$"""{ "prompt": "@Image1 and @Image3", "image_urls": {{Urls(2)}} }""", "prompt");

        Assert.Equal(["@Image3 refers to item 3 of image_urls, which has 2"], messages);
    }

    [Fact]
    public void Validate_PromptImageZero_IsRefused()
    {
        var messages = Problems(R2V, $$"""{ "prompt": "@Image0", "image_urls": {{Urls(2)}} }""", "prompt");

        Assert.Equal(["@Image0 refers to item 0 of image_urls, which has 2"], messages);
    }

    [Theory]
    [InlineData("@Video1", "video_urls")]
    [InlineData("@Audio1", "audio_urls")]
    public void Validate_PromptReferencesAListNotProvided_SaysItIsNotProvided(string reference, string field)
    {
        var messages = Problems(R2V, $$"""{ "prompt": "as in {{reference}}", "image_urls": {{Urls(1)}} }""", "prompt");

        Assert.Equal([$"{reference} refers to {field}, which this request does not provide"], messages);
    }

    [Theory]
    [InlineData("@Video2", "video_urls")]
    [InlineData("@Audio2", "audio_urls")]
    public void Validate_PromptVideoOrAudioBeyondTheList_IsRefused(string reference, string field)
    {
        var messages = Problems(
            R2V, $$"""{ "prompt": "{{reference}}", "image_urls": {{Urls(1)}}, "{{field}}": {{Urls(1, "x")}} }""", "prompt");

        Assert.Equal([$"{reference} refers to item 2 of {field}, which has 1"], messages);
    }

    [Fact]
    public void Validate_ImageReferenceInTextToVideo_IsRefused()
    {
        var messages = Problems(T2V, """{ "prompt": "A cat like @Image1" }""", "prompt");

        Assert.Equal(["@Image1 refers to image_urls, which this request does not provide"], messages);
    }

    [Fact]
    public void Validate_PromptWithoutReferences_IgnoresOtherAtWords()
    {
        var request = Valid(T2V, """{ "prompt": "email me @home, @Images are nice, @Video, user@Image" }""");

        Assert.Equal("email me @home, @Images are nice, @Video, user@Image", request.Prompt);
    }
}
