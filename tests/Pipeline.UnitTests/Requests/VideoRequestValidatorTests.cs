using System.Text.Json.Nodes;
using Pipeline.Core.Requests;
using static Pipeline.UnitTests.Requests.ValidatorHarness;

namespace Pipeline.UnitTests.Requests;

/// <summary>The scalar fields of every mode: prompt, enums, types, defaults, and how problems are reported.</summary>
public sealed class VideoRequestValidatorTests
{
    private const VideoMode T2V = VideoMode.TextToVideo;

    // ---- body ----

    [Theory]
    [InlineData("[]")]
    [InlineData("\"a prompt\"")]
    [InlineData("42")]
    [InlineData("true")]
    public void Validate_BodyNotAnObject_ReportsBodyOnly(string json)
    {
        var (request, errors) = Validate(T2V, json);

        Assert.Null(request);
        Assert.Equal(["body"], errors.Keys);
    }

    [Fact]
    public void Validate_NullBody_ReportsBody()
    {
        var (request, errors) = VideoRequestValidator.Validate(T2V, null);

        Assert.Null(request);
        Assert.Equal(["body"], errors.Keys);
    }

    // ---- prompt ----

    [Fact]
    public void Validate_PromptMissing_ReportsPromptRequired()
    {
        var messages = Problems(T2V, "{}", "prompt");

        Assert.Equal(["is required"], messages);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\\n\\t")]
    public void Validate_PromptEmptyOrBlank_ReportsPromptEmpty(string prompt)
    {
        var messages = Problems(T2V, $$"""{ "prompt": "{{prompt}}" }""", "prompt");

        Assert.Equal(["must not be empty"], messages);
    }

    [Theory]
    [InlineData("42")]
    [InlineData("true")]
    [InlineData("[\"a\"]")]
    [InlineData("{ \"text\": \"a\" }")]
    public void Validate_PromptNotAString_ReportsMustBeString(string value)
    {
        var messages = Problems(T2V, $$"""{ "prompt": {{value}} }""", "prompt");

        Assert.Equal(["must be a string"], messages);
    }

    [Fact]
    public void Validate_PromptNull_ReportsPromptRequired()
    {
        var messages = Problems(T2V, """{ "prompt": null }""", "prompt");

        Assert.Equal(["is required"], messages);
    }

    [Fact]
    public void Validate_PromptGiven_KeepsItUnchanged()
    {
        var request = Valid(T2V, """{ "prompt": "  An octopus plays football  " }""");

        Assert.Equal("  An octopus plays football  ", request.Prompt);
    }

    // ---- defaults ----

    [Fact]
    public void Validate_OnlyPrompt_FillsTheSeedDefaults()
    {
        var request = Valid(T2V, """{ "prompt": "An octopus plays football" }""");

        Assert.Equal("720p", request.Resolution);
        Assert.Equal("auto", request.Duration);
        Assert.Equal("auto", request.AspectRatio);
        Assert.True(request.GenerateAudio);
        Assert.Null(request.Seed);
        Assert.Null(request.EndUserId);
        Assert.Empty(request.Urls());
    }

    [Fact]
    public void Validate_EveryScalarGiven_KeepsEachValue()
    {
        var request = Valid(T2V, """
            { "prompt": "p", "resolution": "480p", "duration": "12", "aspect_ratio": "9:16",
              "generate_audio": false, "seed": 42, "end_user_id": "user-7" }
            """);

        Assert.Equal(
            ("p", "480p", "12", "9:16", false, (long?)42, "user-7"),
            (
                request.Prompt,
                request.Resolution,
                request.Duration,
                request.AspectRatio,
                request.GenerateAudio,
                request.Seed,
                request.EndUserId));
    }

    // ---- resolution ----

    [Theory]
    [InlineData("480p")]
    [InlineData("720p")]
    public void Validate_ResolutionAllowed_IsKept(string resolution)
    {
        var request = Valid(T2V, $$"""{ "prompt": "p", "resolution": "{{resolution}}" }""");

        Assert.Equal(resolution, request.Resolution);
    }

    [Theory]
    [InlineData("1080p")]
    [InlineData("360p")]
    [InlineData("720P")]
    [InlineData("720")]
    [InlineData("auto")]
    [InlineData("")]
    public void Validate_ResolutionOutsideTheSet_ListsTheExactSet(string resolution)
    {
        var messages = Problems(T2V, $$"""{ "prompt": "p", "resolution": "{{resolution}}" }""", "resolution");

        Assert.Equal(["must be one of 480p, 720p"], messages);
    }

    [Fact]
    public void Validate_ResolutionNumber_ReportsMustBeString()
    {
        var messages = Problems(T2V, """{ "prompt": "p", "resolution": 720 }""", "resolution");

        Assert.Equal(["must be a string"], messages);
    }

    // ---- duration ----

    public static TheoryData<string> AllowedDurations => new("auto", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15");

    [Theory]
    [MemberData(nameof(AllowedDurations))]
    public void Validate_DurationAllowedString_IsKept(string duration)
    {
        var request = Valid(T2V, $$"""{ "prompt": "p", "duration": "{{duration}}" }""");

        Assert.Equal(duration, request.Duration);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(15)]
    public void Validate_DurationWholeNumber4To15_IsSentAsItsString(int seconds)
    {
        var request = Valid(T2V, $$"""{ "prompt": "p", "duration": {{seconds}} }""");

        Assert.Equal(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), request.Duration);
    }

    [Theory]
    [InlineData("\"3\"")]
    [InlineData("\"16\"")]
    [InlineData("\"0\"")]
    [InlineData("\"5s\"")]
    [InlineData("\"05\"")]
    [InlineData("\"AUTO\"")]
    [InlineData("\"\"")]
    [InlineData("3")]
    [InlineData("16")]
    [InlineData("-5")]
    [InlineData("4.5")]
    [InlineData("99999999999")]
    public void Validate_DurationOutOfRange_ReportsDuration(string value)
    {
        var messages = Problems(T2V, $$"""{ "prompt": "p", "duration": {{value}} }""", "duration");

        Assert.Equal(["must be auto or a whole number of seconds from 4 to 15"], messages);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("[5]")]
    public void Validate_DurationNeitherStringNorNumber_ReportsMustBeString(string value)
    {
        var messages = Problems(T2V, $$"""{ "prompt": "p", "duration": {{value}} }""", "duration");

        Assert.Equal(["must be a string"], messages);
    }

    // ---- aspect_ratio ----

    [Theory]
    [InlineData("auto")]
    [InlineData("21:9")]
    [InlineData("16:9")]
    [InlineData("4:3")]
    [InlineData("1:1")]
    [InlineData("3:4")]
    [InlineData("9:16")]
    public void Validate_AspectRatioAllowed_IsKept(string ratio)
    {
        var request = Valid(T2V, $$"""{ "prompt": "p", "aspect_ratio": "{{ratio}}" }""");

        Assert.Equal(ratio, request.AspectRatio);
    }

    [Theory]
    [InlineData("2:1")]
    [InlineData("16:10")]
    [InlineData("9:21")]
    [InlineData("16/9")]
    [InlineData("Auto")]
    [InlineData("1:1 ")]
    public void Validate_AspectRatioOutsideTheSet_ListsTheExactSet(string ratio)
    {
        var messages = Problems(T2V, $$"""{ "prompt": "p", "aspect_ratio": "{{ratio}}" }""", "aspect_ratio");

        Assert.Equal(["must be one of auto, 21:9, 16:9, 4:3, 1:1, 3:4, 9:16"], messages);
    }

    [Fact]
    public void Validate_AspectRatioNumber_ReportsMustBeString()
    {
        var messages = Problems(T2V, """{ "prompt": "p", "aspect_ratio": 1.77 }""", "aspect_ratio");

        Assert.Equal(["must be a string"], messages);
    }

    // ---- generate_audio ----

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void Validate_GenerateAudioBool_IsKept(string value, bool expected)
    {
        var request = Valid(T2V, $$"""{ "prompt": "p", "generate_audio": {{value}} }""");

        Assert.Equal(expected, request.GenerateAudio);
    }

    [Theory]
    [InlineData("\"true\"")]
    [InlineData("\"false\"")]
    [InlineData("1")]
    [InlineData("0")]
    [InlineData("\"yes\"")]
    [InlineData("[]")]
    public void Validate_GenerateAudioNotBool_ReportsTrueOrFalse(string value)
    {
        var messages = Problems(T2V, $$"""{ "prompt": "p", "generate_audio": {{value}} }""", "generate_audio");

        Assert.Equal(["must be true or false"], messages);
    }

    // ---- seed ----

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("42", 42L)]
    [InlineData("-1", -1L)]
    [InlineData("3141592653", 3141592653L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Validate_SeedWholeNumber_IsKept(string value, long expected)
    {
        var request = Valid(T2V, $$"""{ "prompt": "p", "seed": {{value}} }""");

        Assert.Equal(expected, request.Seed);
    }

    [Theory]
    [InlineData("\"42\"")]
    [InlineData("4.2")]
    [InlineData("true")]
    [InlineData("9223372036854775808")]
    [InlineData("{}")]
    public void Validate_SeedNotAWholeNumber_ReportsSeed(string value)
    {
        var messages = Problems(T2V, $$"""{ "prompt": "p", "seed": {{value}} }""", "seed");

        Assert.Equal(["must be a whole number"], messages);
    }

    // ---- end_user_id ----

    [Fact]
    public void Validate_EndUserIdString_IsKept()
    {
        var request = Valid(T2V, """{ "prompt": "p", "end_user_id": "customer-42" }""");

        Assert.Equal("customer-42", request.EndUserId);
    }

    [Theory]
    [InlineData("42")]
    [InlineData("false")]
    [InlineData("[\"u\"]")]
    public void Validate_EndUserIdNotString_ReportsMustBeString(string value)
    {
        var messages = Problems(T2V, $$"""{ "prompt": "p", "end_user_id": {{value}} }""", "end_user_id");

        Assert.Equal(["must be a string"], messages);
    }

    // ---- several problems at once ----

    [Fact]
    public void Validate_SeveralProblems_ReportsEachByItsJsonName()
    {
        var (request, errors) = Validate(VideoMode.ImageToVideo, """
            { "resolution": "1080p", "duration": "3", "aspect_ratio": "2:1", "generate_audio": "yes",
              "seed": "x", "end_user_id": 5, "image_urls": ["https://a.example/1.png"] }
            """);

        Assert.Null(request);
        Assert.Equal(
            ["aspect_ratio", "duration", "end_user_id", "generate_audio", "image_url", "image_urls", "prompt", "resolution", "seed"],
            errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Validate_TwoProblemsOfOneField_KeepsBothMessages()
    {
        var messages = Problems(VideoMode.ReferenceToVideo, """
            { "prompt": "@Image3 and @Video1", "image_urls": ["https://a.example/1.png"] }
            """, "prompt");

        Assert.Equal(2, messages.Length);
        Assert.Contains("@Image3", messages[0], StringComparison.Ordinal);
        Assert.Contains("@Video1", messages[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_SeveralProblems_OneFieldAndMessagePerProblem()
    {
        var errors = new ValidationErrors();
        errors.Add("prompt", "is required");
        errors.Add("image_urls[2]", "must be an absolute http or https URL");
        errors.Add("prompt", "second");

        Assert.Equal("prompt: is required; prompt: second; image_urls[2]: must be an absolute http or https URL", errors.Describe());
    }

    [Fact]
    public void Validate_ValidRequest_ReportsNoProblems()
    {
        var (request, errors) = VideoRequestValidator.Validate(T2V, new JsonObject { ["prompt"] = "An octopus" });

        Assert.NotNull(request);
        Assert.Empty(errors);
    }
}
