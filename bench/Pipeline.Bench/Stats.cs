namespace Pipeline.Bench;

/// <summary>Percentiles of a sample, in milliseconds.</summary>
public sealed record Stats(int Count, double P50, double P95, double Max)
{
    public static Stats Of(IEnumerable<TimeSpan> values)
    {
        var ms = values.Select(v => v.TotalMilliseconds).Order().ToArray();
        if (ms.Length == 0)
        {
            return new Stats(0, double.NaN, double.NaN, double.NaN);
        }

        double At(double q) => ms[Math.Min(ms.Length - 1, (int)Math.Ceiling(q * ms.Length) - 1)];
        return new Stats(ms.Length, At(0.50), At(0.95), ms[^1]);
    }

    public override string ToString() => Count == 0 ? "n/a" : $"p50 {P50:F0} ms, p95 {P95:F0} ms, max {Max:F0} ms";
}
