using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FalEmulator.Media;

/// <summary>Builds ffmpeg command lines for the two kinds of render. Pure functions, so they are unit-testable.</summary>
internal static class FfmpegArguments
{
    /// <summary>How far the slow zoom goes in (15 %): visible motion without losing much of the picture.</summary>
    private const double ZoomAmount = 0.15;

    /// <summary>Length of the crossfade to the end image.</summary>
    private const int CrossfadeSeconds = 1;

    private const int ToneFrequencyHz = 440;

    /// <summary>Ken Burns zoom over the start image, optionally crossfading to the end image.</summary>
    public static IReadOnlyList<string> ForImage(RenderPlan plan, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(plan.Start);

        var args = new List<string>(Prologue);
        AddImageInput(args, plan.Start);
        if (plan.End is not null)
        {
            AddImageInput(args, plan.End);
        }

        var audioInput = plan.End is null ? 1 : 2;
        AddToneInput(args, plan);

        var frames = plan.FrameCount;
        var graph = new StringBuilder();
        if (plan.End is null)
        {
            graph.Append(KenBurns("[0:v]", plan, frames, zoomIn: true)).Append("[v]");
        }
        else
        {
            // xfade output = offset + length of the second clip, so a 1 s second clip ending at D keeps D exact.
            var fadeFrames = CrossfadeSeconds * VideoRenderer.FramesPerSecond;
            graph.Append(KenBurns("[0:v]", plan, frames, zoomIn: true)).Append("[a];")
                .Append(KenBurns("[1:v]", plan, fadeFrames, zoomIn: false)).Append("[b];")
                .Append(Invariant(
                    $"[a][b]xfade=transition=fade:duration={CrossfadeSeconds}:offset={plan.DurationSeconds - CrossfadeSeconds}[v]"));
        }

        AddOutput(args, plan, graph.ToString(), audioInput, outputPath);
        return args;
    }

    /// <summary>
    /// The prompt on a plain background. With <paramref name="textFileName"/> null the text is left out
    /// (the retry when drawtext fails); a null <paramref name="fontFile"/> lets fontconfig pick a sans font.
    /// </summary>
    public static IReadOnlyList<string> ForText(RenderPlan plan, string outputPath, string? textFileName, string? fontFile)
    {
        var args = new List<string>(Prologue)
        {
            "-f", "lavfi",
            "-i", Invariant($"color=c=0x{BackgroundColor(plan.Prompt)}:s={plan.Width}x{plan.Height}")
                + Invariant($":r={VideoRenderer.FramesPerSecond}:d={plan.DurationSeconds}"),
        };
        AddToneInput(args, plan);

        var graph = new StringBuilder("[0:v]");
        if (textFileName is not null)
        {
            var fontSize = PromptText.FontSize(plan.Width, plan.Height);
            var font = fontFile is null ? "font=Sans" : "fontfile=" + EscapeFilterValue(fontFile);

            // expansion=none: a prompt containing %{...} must be drawn literally, not evaluated.
            graph.Append("drawtext=").Append(font)
                .Append(":textfile=").Append(EscapeFilterValue(textFileName))
                .Append(Invariant($":expansion=none:fontcolor=white:fontsize={fontSize}:line_spacing={fontSize / 4}"))
                .Append(":x=(w-text_w)/2:y=(h-text_h)/2,")
                .Append("drawtext=").Append(font)
                .Append(":text=")
                .Append(EscapeFilterValue($"fal emulator - {plan.Mode} - {plan.Width}x{plan.Height} - {plan.DurationSeconds}s"))
                .Append(Invariant($":expansion=none:fontcolor=white@0.6:fontsize={Math.Max(10, fontSize / 2)}"))
                .Append(":x=(w-text_w)/2:y=h-2*text_h,");
        }

        graph.Append("format=yuv420p[v]");
        AddOutput(args, plan, graph.ToString(), audioInput: 1, outputPath);
        return args;
    }

    /// <summary>
    /// Escapes a value for a filter option inside a filter graph: once for the option parser
    /// (\ ' :) and once more for the graph parser (\ ' [ ] , ;), as the ffmpeg-filters manual describes.
    /// </summary>
    public static string EscapeFilterValue(string value)
    {
        var optionLevel = value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("'", "\\'", StringComparison.Ordinal)
            .Replace(":", "\\:", StringComparison.Ordinal);

        var graphLevel = new StringBuilder(optionLevel.Length + 8);
        foreach (var c in optionLevel)
        {
            if (c is '\\' or '\'' or '[' or ']' or ',' or ';')
            {
                graphLevel.Append('\\');
            }

            graphLevel.Append(c);
        }

        return graphLevel.ToString();
    }

    /// <summary>
    /// A dark colour derived from the prompt, so different prompts are told apart at a glance and white text stays readable.
    /// </summary>
    internal static string BackgroundColor(string prompt)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(prompt));
        var hue = (hash[0] | (hash[1] << 8)) % 360 / 60.0;
        const double value = 0.38;
        const double saturation = 0.6;
        var chroma = value * saturation;
        var x = chroma * (1 - Math.Abs((hue % 2) - 1));
        var (r, g, b) = (int)hue switch
        {
            0 => (chroma, x, 0.0),
            1 => (x, chroma, 0.0),
            2 => (0.0, chroma, x),
            3 => (0.0, x, chroma),
            4 => (x, 0.0, chroma),
            _ => (chroma, 0.0, x),
        };
        var m = value - chroma;
        return Invariant($"{ToByte(r + m):X2}{ToByte(g + m):X2}{ToByte(b + m):X2}");
    }

    private static int ToByte(double channel) => (int)Math.Round(Math.Clamp(channel, 0, 1) * 255);

    private static string[] Prologue => ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"];

    private static void AddImageInput(List<string> args, ImageInput image)
    {
        // image2 with pattern_type none reads the file as one still (no %d sequence expansion of the
        // name) and probes its content, so downloads without an extension work; "file:" stops ffmpeg
        // from reading a colon in the path as a protocol.
        args.AddRange(["-f", "image2", "-pattern_type", "none", "-i", "file:" + image.Path]);
    }

    private static void AddToneInput(List<string> args, RenderPlan plan)
    {
        if (plan.GenerateAudio)
        {
            var tone = Invariant($"sine=frequency={ToneFrequencyHz}:sample_rate=48000:duration={plan.DurationSeconds}");
            args.AddRange(["-f", "lavfi", "-i", tone]);
        }
    }

    /// <summary>
    /// Scales the still to cover twice the frame (the zoom then samples sub-pixel positions, which
    /// hides zoompan's integer panning jitter), crops to that, and zooms over <paramref name="frames"/> frames.
    /// </summary>
    private static string KenBurns(string input, RenderPlan plan, int frames, bool zoomIn)
    {
        var (w, h) = (plan.Width, plan.Height);
        var step = ZoomAmount / Math.Max(1, frames - 1);
        var zoom = zoomIn ? Invariant($"1+{step:0.########}*on") : Invariant($"{1 + ZoomAmount:0.##}-{step:0.########}*on");

        // Covering a few pixels more than needed avoids scale rounding leaving the crop 1 px short.
        return input + Invariant(
            $"scale=w={(2 * w) + 4}:h={(2 * h) + 4}:force_original_aspect_ratio=increase,crop={2 * w}:{2 * h},setsar=1,") +
            Invariant($"zoompan=z='{zoom}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'") +
            Invariant($":d={frames}:s={w}x{h}:fps={VideoRenderer.FramesPerSecond},") +
            "setsar=1,format=yuv420p";
    }

    private static void AddOutput(List<string> args, RenderPlan plan, string graph, int audioInput, string outputPath)
    {
        args.AddRange(["-filter_complex", graph, "-map", "[v]"]);
        if (plan.GenerateAudio)
        {
            args.AddRange(["-map", Invariant($"{audioInput}:a")]);
        }

        args.AddRange(
        [
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "27", "-pix_fmt", "yuv420p",
            "-r", Invariant($"{VideoRenderer.FramesPerSecond}"),
        ]);
        args.AddRange(plan.GenerateAudio ? ["-c:a", "aac", "-b:a", "96k"] : ["-an"]);

        // The sources already have the exact length; -t is the guard. (Not -frames:v: reaching it ends the
        // whole file at once and cuts the audio still in flight.) moov first so browsers can play while downloading.
        args.AddRange(["-t", Invariant($"{plan.DurationSeconds}"), "-movflags", "+faststart", "-f", "mp4", "file:" + outputPath]);
    }

    private static string Invariant(FormattableString formattable) => formattable.ToString(CultureInfo.InvariantCulture);
}
