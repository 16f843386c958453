using System.Text.Json.Nodes;
using FalEmulator.Model;

namespace FalEmulator.Tests.Model;

public sealed class SeedanceInputValidatorTests
{
    private static (SeedanceInput? Input, IReadOnlyList<FalErrorDetail> Errors) Validate(string mode, string json) =>
        SeedanceInputValidator.Validate(mode, JsonNode.Parse(json));

    [Fact]
    public void Validate_PromptOnly_FillsTheSeedsDefaults()
    {
        var (input, errors) = Validate("text-to-video", """{"prompt":"hi"}""");

        Assert.Empty(errors);
        Assert.Equal("720p", input!.Resolution);
        Assert.Equal("auto", input.Duration);
        Assert.Equal("auto", input.AspectRatio);
        Assert.True(input.GenerateAudio);
        Assert.Null(input.Seed);
    }

    [Theory]
    [InlineData("4")]
    [InlineData("15")]
    [InlineData("auto")]
    public void Validate_EveryDurationOfTheEnum_IsAccepted(string duration) =>
        Assert.Empty(Validate("text-to-video", $$"""{"prompt":"x","duration":"{{duration}}"}""").Errors);

    [Theory]
    [InlineData("\"3\"")]
    [InlineData("\"16\"")]
    [InlineData("5")]
    public void Validate_DurationOutsideTheEnum_IsOneOf(string duration)
    {
        var error = Assert.Single(Validate("text-to-video", $$"""{"prompt":"x","duration":{{duration}}}""").Errors);
        Assert.Equal("one_of", error.Type);
        Assert.Equal(["body", "duration"], error.Loc);
    }

    [Fact]
    public void Validate_ImageToVideo_NeedsImageUrl()
    {
        var error = Assert.Single(Validate("image-to-video", """{"prompt":"x"}""").Errors);

        Assert.Equal(["body", "image_url"], error.Loc);
        Assert.Equal("missing", error.Type);
    }

    [Fact]
    public void Validate_ListItemThatIsNotAString_NamesItsIndex()
    {
        var error = Assert.Single(Validate("reference-to-video", """{"prompt":"x","image_urls":["a",7]}""").Errors);

        Assert.Equal(["body", "image_urls", 1], error.Loc);
        Assert.Equal("string_type", error.Type);
    }

    [Fact]
    public void Validate_TwelveFilesInAll_IsAcceptedButThirteenIsNot()
    {
        static string Urls(int n) => "[" + string.Join(',', Enumerable.Range(0, n).Select(i => $"\"u{i}\"")) + "]";

        Assert.Empty(Validate("reference-to-video", $$"""{"prompt":"x","image_urls":{{Urls(9)}},"video_urls":{{Urls(3)}}}""").Errors);
        var tooMany = $$"""{"prompt":"x","image_urls":{{Urls(9)}},"video_urls":{{Urls(3)}},"audio_urls":{{Urls(1)}}}""";
        var error = Assert.Single(Validate("reference-to-video", tooMany).Errors);
        Assert.Equal(["body"], error.Loc);
    }

    [Fact]
    public void Validate_BodyThatIsNotAnObject_IsRefusedAsAWhole()
    {
        var error = Assert.Single(Validate("text-to-video", "[1,2]").Errors);

        Assert.Equal(["body"], error.Loc);
    }

    [Fact]
    public void Validate_LaxBooleansAndIntegerStrings_AreAcceptedLikePydantic()
    {
        var (input, errors) = Validate("text-to-video", """{"prompt":"x","generate_audio":"false","seed":"42"}""");

        Assert.Empty(errors);
        Assert.False(input!.GenerateAudio);
        Assert.Equal(42, input.Seed);
    }
}
