using System.Globalization;
using System.Text;

namespace FalEmulator.Media;

/// <summary>Prepares a prompt for drawing on a frame: one clean line of text, then wrapped to fit.</summary>
internal static class PromptText
{
    /// <summary>Longest prompt kept; nothing more fits on a frame anyway.</summary>
    private const int MaxPromptChars = 1000;

    private const string Ellipsis = "\u2026";

    /// <summary>Collapses whitespace and control characters (drawtext would draw them as boxes) and caps the length.</summary>
    public static string Normalize(string? prompt)
    {
        if (string.IsNullOrWhiteSpace(prompt))
        {
            return string.Empty;
        }

        var builder = new StringBuilder(Math.Min(prompt.Length, MaxPromptChars));
        var pendingSpace = false;
        foreach (var c in prompt)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (builder.Length >= MaxPromptChars)
            {
                break;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(c);
        }

        // Never leave half of a surrogate pair at the cut.
        if (builder.Length > 0 && char.IsHighSurrogate(builder[^1]))
        {
            builder.Length--;
        }

        return builder.ToString();
    }

    /// <summary>Font size in pixels for a frame: proportional to the short side so 480p and 720p look alike.</summary>
    public static int FontSize(int width, int height) => Math.Max(14, Math.Min(width, height) / 16);

    /// <summary>The text file content for drawtext: word-wrapped lines, truncated with an ellipsis when too long.</summary>
    public static string Layout(string normalizedPrompt, int width, int height)
    {
        if (normalizedPrompt.Length == 0)
        {
            return "(empty prompt)";
        }

        var fontSize = FontSize(width, height);

        // DejaVu Sans averages a little over half the font size per character; keep a margin on both sides.
        var maxChars = Math.Max(10, (int)(width * 0.88 / (fontSize * 0.58)));
        var maxLines = Math.Clamp((int)(height * 0.6 / (fontSize * 1.3)), 2, 8);

        var lines = Wrap(normalizedPrompt, maxChars);
        if (lines.Count > maxLines)
        {
            lines.RemoveRange(maxLines, lines.Count - maxLines);
            var last = lines[^1];
            var info = new StringInfo(last);
            if (info.LengthInTextElements >= maxChars)
            {
                last = info.SubstringByTextElements(0, maxChars - 1);
            }

            lines[^1] = last.TrimEnd() + Ellipsis;
        }

        return string.Join('\n', lines);
    }

    private static List<string> Wrap(string text, int maxChars)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        var lineLength = 0;

        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var piece in SplitLongWord(word, maxChars))
            {
                var pieceLength = new StringInfo(piece).LengthInTextElements;
                if (lineLength > 0 && lineLength + 1 + pieceLength > maxChars)
                {
                    lines.Add(line.ToString());
                    line.Clear();
                    lineLength = 0;
                }

                if (lineLength > 0)
                {
                    line.Append(' ');
                    lineLength++;
                }

                line.Append(piece);
                lineLength += pieceLength;
            }
        }

        if (lineLength > 0)
        {
            lines.Add(line.ToString());
        }

        return lines;
    }

    // Splits on text elements so that emoji and combining marks are never cut in half.
    private static IEnumerable<string> SplitLongWord(string word, int maxChars)
    {
        var info = new StringInfo(word);
        var length = info.LengthInTextElements;
        for (var startIndex = 0; startIndex < length; startIndex += maxChars)
        {
            yield return info.SubstringByTextElements(startIndex, Math.Min(maxChars, length - startIndex));
        }
    }
}
