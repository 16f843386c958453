using System.Globalization;

namespace Pipeline.Chaos;

/// <summary>
/// What to run: <c>--jobs 200 --kills 20 --seed 7 --time-scale 0.05 --timeout 00:20:00 --send-over 00:25:00</c> (the
/// jobs sent evenly over that time, so that long outages meet jobs in flight; default: as fast as four senders go), and any outages
/// (<see cref="OutageOptions"/>: <c>--outages fal,files,eventgrid,storage --outage-length 00:05:00 --outage-mode
/// alternate</c>; the default timeout grows by their length). The storage is <c>PipelineStorage</c> (a connection string;
/// <c>chaos/run.sh</c> starts an Azurite of its own).
/// </summary>
public sealed record ChaosOptions(
    int Jobs,
    int Kills,
    int Seed,
    double TimeScale,
    TimeSpan Timeout,
    string Storage,
    OutageOptions? Outages = null,
    TimeSpan? SendOver = null)
{
    public static ChaosOptions Parse(string[] args, string storage)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var outages = OutageOptions.Parse(args);
        var sendOver = Value("--send-over") is { } over ? TimeSpan.Parse(over, CultureInfo.InvariantCulture) : (TimeSpan?)null;
        return new ChaosOptions(
            Value("--jobs") is { } jobs ? int.Parse(jobs, CultureInfo.InvariantCulture) : 200,
            Value("--kills") is { } kills ? int.Parse(kills, CultureInfo.InvariantCulture) : 20,
            Value("--seed") is { } seed ? int.Parse(seed, CultureInfo.InvariantCulture) : Environment.TickCount & 0xFFFF,
            Value("--time-scale") is { } scale ? double.Parse(scale, CultureInfo.InvariantCulture) : 0.05,
            Value("--timeout") is { } timeout
                ? TimeSpan.Parse(timeout, CultureInfo.InvariantCulture)
                : TimeSpan.FromMinutes(20) + outages.Total + (sendOver ?? TimeSpan.Zero),
            storage,
            outages,
            sendOver);
    }
}
