using System.Text.Json.Serialization;
using Pipeline.Core.Jobs;

namespace Pipeline.Core.Costs;

/// <summary>Jobs, seconds and estimated spend: a day's, or one end user's within it.</summary>
public sealed class UsageTotals
{
    [JsonPropertyName("jobs")]
    public int Jobs { get; set; }

    [JsonPropertyName("video_seconds")]
    public int VideoSeconds { get; set; }

    [JsonPropertyName("estimated_cost_usd")]
    public decimal EstimatedUsd { get; set; }

    public void Add(JobCost cost, int sign)
    {
        Jobs += sign;
        VideoSeconds += sign * cost.VideoSeconds;
        EstimatedUsd += sign * cost.EstimatedUsd;
    }
}

/// <summary>One UTC day of spending, as stored (<c>jobs/usage/{date}.json</c>) and as <c>GET /api/usage</c> shows it.</summary>
public sealed class DayUsage
{
    [JsonPropertyName("date")]
    public string Date { get; set; } = "";

    [JsonPropertyName("total")]
    public UsageTotals Total { get; set; } = new();

    [JsonPropertyName("by_end_user")]
    public Dictionary<string, UsageTotals> ByEndUser { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Each job's reservation, so that reserving again (a retried activity) counts it once (the capped document only).</summary>
    [JsonPropertyName("jobs")]
    public Dictionary<string, JobReservation> Jobs { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>What one job reserved of a day.</summary>
public sealed record JobReservation(
    [property: JsonPropertyName("end_user_id")] string EndUser,
    [property: JsonPropertyName("cost")] JobCost Cost);
