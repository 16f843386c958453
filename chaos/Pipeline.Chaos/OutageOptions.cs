using System.Globalization;

namespace Pipeline.Chaos;

/// <summary>
/// The outages of a run: <c>--outages fal,files,eventgrid,storage</c> (one after another, in that order; a name may come
/// twice), <c>--outage-length 00:05:00</c> each, <c>--outage-mode refuse|503|alternate</c> (alternate: the first
/// refuses, the second answers 503, and so on). None by default. A length of 0 puts the proxies in place and never
/// takes a dependency away: what forwarding alone does to the run.
/// </summary>
public sealed record OutageOptions(IReadOnlyList<Dependency> Dependencies, TimeSpan Length, IReadOnlyList<OutageMode> Modes)
{
    public static readonly OutageOptions None = new([], TimeSpan.Zero, [OutageMode.Refuse]);

    private static readonly OutageMode[] Alternate = [OutageMode.Refuse, OutageMode.ServiceUnavailable];

    /// <summary>All outages end to end: what the run's default timeout adds.</summary>
    public TimeSpan Total => Length * Dependencies.Count;

    /// <summary>Proxies in front of the dependencies, which never go away.</summary>
    public bool ForwardOnly => Dependencies.Count > 0 && Length <= TimeSpan.Zero;

    public OutageMode ModeOf(int number) => Modes[(number - 1) % Modes.Count];

    public string ModeName => Modes.Count > 1 ? "alternate" : Modes[0].Name();

    public static OutageOptions Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        if (Value("--outages") is not { Length: > 0 } names)
        {
            return None;
        }

        return new OutageOptions(
            [.. names.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(DependencyNames.Parse)],
            Value("--outage-length") is { } length ? TimeSpan.Parse(length, CultureInfo.InvariantCulture) : TimeSpan.FromMinutes(5),
            (Value("--outage-mode") ?? "alternate") switch
            {
                "refuse" => [OutageMode.Refuse],
                "503" => [OutageMode.ServiceUnavailable],
                "alternate" => Alternate,
                var other => throw new ArgumentException($"--outage-mode: '{other}' is not refuse, 503 or alternate"),
            });
    }
}
