using System.Globalization;

namespace Pipeline.Bench;

/// <summary>What to run: <c>--jobs 20 --bursts 100,500 --sizes 10,100,500 --time-scale 0.5 --polling 00:00:00.100</c>.</summary>
public sealed record BenchOptions(
    int Jobs, int[] Bursts, int[] VideoSizesMB, double TimeScale, TimeSpan QueuePollingInterval, string Output)
{
    public static BenchOptions Parse(string[] args)
    {
        // The last occurrence wins: run.sh gives a default --output before the caller's arguments.
        string? Value(string name) => args.Reverse().TakeWhile(a => a != name).LastOrDefault() is { } v && args.Contains(name) ? v : null;
        int[] Ints(string name, int[] fallback) =>
            Value(name) is { } v ? [.. v.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] : fallback;
        return new BenchOptions(
            Value("--jobs") is { } jobs ? int.Parse(jobs, CultureInfo.InvariantCulture) : 20,
            Ints("--bursts", [100, 500]),
            Ints("--sizes", [10, 100, 500]),
            Value("--time-scale") is { } scale ? double.Parse(scale, CultureInfo.InvariantCulture) : 0.5,
            Value("--polling") is { } polling ? TimeSpan.Parse(polling, CultureInfo.InvariantCulture) : TimeSpan.FromMilliseconds(100),
            Value("--output") ?? "bench/results");
    }
}
