using System.Text.Json.Nodes;

namespace Pipeline.Chaos;

/// <summary>One job of the run: what it is, how it was sent, and what the pipeline says of it at the end.</summary>
public sealed class ChaosJob(int index, JobScenario scenario, string faults)
{
    public int Index { get; } = index;

    public JobScenario Scenario { get; } = scenario;

    /// <summary>A word in the job's prompt that no other job has: fal's record of the request can be matched by it.</summary>
    public string Token { get; } = $"chaos{index:D4}";

    /// <summary>The scenario's faults plus this job's queue and run times (fal's seconds).</summary>
    public string Faults { get; } = faults;

    public string Prompt => $"Job {Token} of the chaos audit [emulator: {Faults}]";

    /// <summary>The job's id (from the 202, or from the dropped blob's version).</summary>
    public string? Id { get; set; }

    /// <summary>An inbox pair's sidecar: a job id that must end superseded, without anything at fal.</summary>
    public string? SidecarId { get; set; }

    /// <summary>Where the video goes in the videos container.</summary>
    public string? OutputBlob { get; set; }

    /// <summary>When the pipeline had it (the 202, or the drop done), since the run began.</summary>
    public TimeSpan? SentAt { get; set; }

    public JsonObject? Status { get; set; }

    public JsonObject? SidecarStatus { get; set; }

    /// <summary>When it ended by the pipeline's own record (<c>updated_at</c> of its final status); null while it has not.</summary>
    public DateTimeOffset? EndedAt => Status?["status"]?.GetValue<string>() is "succeeded" or "failed" or "cancelled"
        ? Status["updated_at"]?.GetValue<DateTimeOffset>()
        : null;

    public bool Finished => Status?["status"]?.GetValue<string>() is "succeeded" or "failed" or "cancelled"
        && (SidecarId is null || SidecarStatus?["status"]?.GetValue<string>() is "succeeded" or "failed" or "cancelled");
}
