using System.Text.Json.Serialization;

namespace Pipeline.Core.Jobs;

/// <summary>A job's estimated cost at fal: the seconds of video it asks for and their price.</summary>
public sealed record JobCost(
    [property: JsonPropertyName("video_seconds")] int VideoSeconds,
    [property: JsonPropertyName("estimated_cost_usd")] decimal EstimatedUsd);
