namespace Pipeline.Chaos;

/// <summary>One outage as it happened: the <paramref name="Number"/>-th of the run, from start to end since the run began.</summary>
public sealed record OutageWindow(int Number, Dependency Dependency, OutageMode Mode, TimeSpan Start, TimeSpan End)
{
    public bool Overlaps(TimeSpan from, TimeSpan? to) => from < End && (to is null || to > Start);

    public override string ToString() =>
        $"outage {Number} ({Dependency.Name()} {(Mode == OutageMode.Refuse ? "refusing connections" : "answering 503")}, "
        + $"{Start.TotalSeconds:F1}–{End.TotalSeconds:F1} s)";
}
