using FalEmulator.Media;

namespace FalEmulator.Tests.Media;

public class FfmpegArgumentsTests
{
    [Theory]
    [InlineData("plain.txt", "plain.txt")]
    [InlineData("/usr/share/fonts/DejaVuSans.ttf", "/usr/share/fonts/DejaVuSans.ttf")]
    [InlineData(@"C:\fonts\a.ttf", @"C\\:\\\\fonts\\\\a.ttf")]
    [InlineData("it's", @"it\\\'s")]
    [InlineData("a,b;[c]", @"a\,b\;\[c\]")]
    public void EscapeFilterValue_EscapesForOptionAndGraphLevels(string value, string expected)
    {
        Assert.Equal(expected, FfmpegArguments.EscapeFilterValue(value));
    }

    [Fact]
    public void BackgroundColor_IsStablePerPromptAndDark()
    {
        var color = FfmpegArguments.BackgroundColor("a prompt");

        Assert.Equal(color, FfmpegArguments.BackgroundColor("a prompt"));
        Assert.Matches("^[0-9A-F]{6}$", color);
        var channels = Enumerable.Range(0, 3).Select(i => Convert.ToInt32(color.Substring(i * 2, 2), 16));
        Assert.All(channels, c => Assert.InRange(c, 0, 110));
    }

    [Fact]
    public void ForText_WithoutAudio_HasNoAudioInputOrMap()
    {
        var plan = new RenderPlan("text-to-video", "hello", 854, 480, 4, GenerateAudio: false, Start: null, End: null);

        var args = FfmpegArguments.ForText(plan, "/tmp/out.partial", "prompt.txt", fontFile: null);

        Assert.Contains("-an", args);
        Assert.DoesNotContain(args, a => a.StartsWith("sine=", StringComparison.Ordinal));
        Assert.Equal("4", args[args.ToList().IndexOf("-t") + 1]);
        Assert.Equal("+faststart", args[args.ToList().IndexOf("-movflags") + 1]);
    }

    [Fact]
    public void ForText_WithAudio_MapsTheTone()
    {
        var plan = new RenderPlan("text-to-video", "hello", 854, 480, 4, GenerateAudio: true, Start: null, End: null);

        var args = FfmpegArguments.ForText(plan, "/tmp/out.partial", "prompt.txt", fontFile: null).ToList();

        Assert.Contains("1:a", args);
        Assert.Contains("aac", args);
        Assert.DoesNotContain("-an", args);
    }
}
