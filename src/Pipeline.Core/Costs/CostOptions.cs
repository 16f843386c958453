using System.ComponentModel.DataAnnotations;

namespace Pipeline.Core.Costs;

/// <summary>
/// Prices and caps (section <c>Costs</c>). The prices are fal's list prices for Seedance 2.0 Fast as its model page
/// showed them on 2026-11-26: $0.2419 per second of 720p output, and $0.0112 per 1,000 tokens of
/// height × width × seconds × 24 / 1024, which makes 480p (854×480) $0.1076 per second; audio costs nothing extra;
/// reference-to-video with video inputs costs 0.6 times as much (and counts the input videos' seconds, which the
/// estimate leaves out). Each cap is off while unset.
/// </summary>
public sealed class CostOptions
{
    public const string SectionName = "Costs";

    /// <summary>USD per second of output video, by resolution.</summary>
    public Dictionary<string, decimal> PricePerSecondUsd { get; set; } = new(StringComparer.Ordinal)
    {
        ["480p"] = 0.1076m,
        ["720p"] = 0.2419m,
    };

    /// <summary>Price factor of reference-to-video with video inputs.</summary>
    [Range(typeof(decimal), "0", "10")]
    public decimal VideoInputFactor { get; set; } = 0.6m;

    /// <summary>The seconds an <c>auto</c> duration is estimated at: the model's longest, so estimates never run short.</summary>
    [Range(4, 15)]
    public int AutoDurationSeconds { get; set; } = 15;

    /// <summary>Estimated spend allowed per UTC day for the whole app; unset: no cap.</summary>
    [Range(typeof(decimal), "0", "1000000000")]
    public decimal? DailyBudgetUsd { get; set; }

    /// <summary>
    /// Estimated spend allowed per UTC day per <c>end_user_id</c> (jobs without one share the id "anonymous"); unset:
    /// no cap.
    /// </summary>
    [Range(typeof(decimal), "0", "1000000000")]
    public decimal? PerUserDailyBudgetUsd { get; set; }

    /// <summary>At most this many jobs at fal at once (submitted, not yet stored or ended); the rest wait, queued. Unset: no cap.</summary>
    [Range(1, 10000)]
    public int? MaxConcurrentJobs { get; set; }

    /// <summary>How often a job waiting for a slot looks again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.05", "00:10:00")]
    public TimeSpan SlotRetryInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a day's usage (<c>GET /api/usage</c>, the caps' totals) is kept before the housekeeping purge removes
    /// it.
    /// </summary>
    [Range(typeof(TimeSpan), "2.00:00:00", "3650.00:00:00")]
    public TimeSpan UsageRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A slot not released by then (its job's host died for good) is taken back; longer than any job can hold one.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan SlotLease { get; set; } = TimeSpan.FromHours(2);
}
