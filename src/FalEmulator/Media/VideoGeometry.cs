using System.Globalization;

namespace FalEmulator.Media;

/// <summary>Turns Seedance's resolution / aspect_ratio / duration enums into pixels and seconds.</summary>
public static class VideoGeometry
{
    /// <summary>Default when the start image cannot be measured or there is none (fal's text-to-video default).</summary>
    internal const string DefaultAspectRatio = "16:9";

    internal const int AutoDurationSeconds = 5;
    internal const int MinDurationSeconds = 4;
    internal const int MaxDurationSeconds = 15;

    /// <summary>The concrete ratios Seedance renders, widest first.</summary>
    internal static readonly IReadOnlyList<(string Name, int W, int H)> AspectRatios =
    [
        ("21:9", 21, 9),
        ("16:9", 16, 9),
        ("4:3", 4, 3),
        ("1:1", 1, 1),
        ("3:4", 3, 4),
        ("9:16", 9, 16),
    ];

    /// <summary>
    /// Output frame size: the short side is 480 or 720 and the long side follows the ratio, rounded to an
    /// even number because H.264 with 4:2:0 chroma needs even dimensions (16:9 at 480p gives 854x480).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An unknown resolution or aspect ratio.</exception>
    public static (int Width, int Height) Resolve(string resolution, string aspectRatio, ImageInfo? startImage)
    {
        var shortSide = ShortSide(resolution);
        var ratioName = string.IsNullOrEmpty(aspectRatio) || aspectRatio.Equals("auto", StringComparison.OrdinalIgnoreCase)
            ? startImage is null ? DefaultAspectRatio : NearestAspectRatio(startImage.Width, startImage.Height)
            : aspectRatio;

        var (w, h) = ParseRatio(ratioName);
        if (w >= h)
        {
            return (RoundToEven(shortSide * (double)w / h), shortSide);
        }

        return (shortSide, RoundToEven(shortSide * (double)h / w));
    }

    /// <summary>Seconds of video for a duration enum: <c>auto</c> is 5 s in this emulator, otherwise 4..15.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Anything else.</exception>
    public static int ResolveDurationSeconds(string duration)
    {
        if (string.IsNullOrEmpty(duration) || duration.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            return AutoDurationSeconds;
        }

        if (int.TryParse(duration, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && seconds is >= MinDurationSeconds and <= MaxDurationSeconds)
        {
            return seconds;
        }

        throw new ArgumentOutOfRangeException(nameof(duration), duration, "Expected \"auto\" or a whole number of seconds from 4 to 15.");
    }

    /// <summary>
    /// The supported ratio closest to width:height. Distance is measured on log(ratio) so that being
    /// twice too wide and twice too tall count the same (a plain difference would favour portrait ratios).
    /// </summary>
    internal static string NearestAspectRatio(int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            return DefaultAspectRatio;
        }

        var target = Math.Log((double)width / height);
        var best = AspectRatios[0];
        var bestDistance = double.MaxValue;
        foreach (var candidate in AspectRatios)
        {
            var distance = Math.Abs(Math.Log((double)candidate.W / candidate.H) - target);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best.Name;
    }

    internal static int ShortSide(string resolution) => resolution switch
    {
        null or "" => 720, // fal's default
        _ when resolution.Equals("720p", StringComparison.OrdinalIgnoreCase) => 720,
        _ when resolution.Equals("480p", StringComparison.OrdinalIgnoreCase) => 480,
        _ => throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "Expected \"480p\" or \"720p\"."),
    };

    private static (int W, int H) ParseRatio(string aspectRatio)
    {
        foreach (var candidate in AspectRatios)
        {
            if (candidate.Name.Equals(aspectRatio, StringComparison.Ordinal))
            {
                return (candidate.W, candidate.H);
            }
        }

        throw new ArgumentOutOfRangeException(nameof(aspectRatio), aspectRatio, "Expected auto, 21:9, 16:9, 4:3, 1:1, 3:4 or 9:16.");
    }

    private static int RoundToEven(double value) => (int)Math.Round(value / 2, MidpointRounding.AwayFromZero) * 2;
}
