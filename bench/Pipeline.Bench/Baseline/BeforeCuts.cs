namespace Pipeline.Bench.Baseline;

/// <summary>
/// Whether the pipeline runs as it did before #20's cuts: the services of this folder then make the calls and steps the
/// earlier code made, so that each cut is measured before and after in the same run.
/// </summary>
public static class BeforeCuts
{
    private static volatile bool _on;

    public static bool On
    {
        get => _on;
        set => _on = value;
    }
}
