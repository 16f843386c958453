using FalEmulator.Media;

namespace FalEmulator.Tests.Media;

public class PromptTextTests
{
    [Fact]
    public void Normalize_CollapsesWhitespaceAndControlCharacters()
    {
        Assert.Equal("a cat on a mat", PromptText.Normalize("  a\tcat\r\n on \u0007a   mat \n"));
    }

    [Fact]
    public void Normalize_NullOrBlank_IsEmpty()
    {
        Assert.Equal(string.Empty, PromptText.Normalize(null));
        Assert.Equal(string.Empty, PromptText.Normalize(" \n\t "));
    }

    [Fact]
    public void Normalize_VeryLongPrompt_IsCappedWithoutSplittingASurrogatePair()
    {
        var prompt = new string('a', 999) + "\U0001F600" + new string('b', 5000);

        var normalized = PromptText.Normalize(prompt);

        Assert.Equal(999, normalized.Length);
        Assert.False(char.IsHighSurrogate(normalized[^1]));
    }

    [Fact]
    public void Layout_ShortPrompt_IsOneLine()
    {
        Assert.Equal("A red fox", PromptText.Layout("A red fox", 854, 480));
    }

    [Fact]
    public void Layout_EmptyPrompt_SaysSo()
    {
        Assert.Equal("(empty prompt)", PromptText.Layout(string.Empty, 854, 480));
    }

    [Fact]
    public void Layout_LongPrompt_WrapsAndTruncatesWithEllipsis()
    {
        var words = string.Join(' ', Enumerable.Range(1, 300).Select(i => "word" + i));

        var lines = PromptText.Layout(words, 480, 854).Split('\n');

        Assert.InRange(lines.Length, 2, 8);
        Assert.EndsWith("\u2026", lines[^1], StringComparison.Ordinal);
        var longest = lines.Max(l => l.Length);
        Assert.All(lines, l => Assert.InRange(l.Length, 1, longest));
        Assert.StartsWith("word1 word2", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Layout_UnbrokenLongWord_IsSplitAcrossLines()
    {
        var lines = PromptText.Layout(new string('x', 120), 854, 480).Split('\n');

        Assert.True(lines.Length >= 2);
        Assert.Equal(120, string.Concat(lines).Length);
    }
}
