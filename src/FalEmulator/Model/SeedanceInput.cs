namespace FalEmulator.Model;

/// <summary>A validated Seedance 2.0 Fast input with the model's defaults filled in.</summary>
public sealed record SeedanceInput
{
    public required string Mode { get; init; }
    public required string Prompt { get; init; }
    public string Resolution { get; init; } = "720p";
    public string Duration { get; init; } = "auto";
    public string AspectRatio { get; init; } = "auto";
    public bool GenerateAudio { get; init; } = true;
    public long? Seed { get; init; }
    public string? EndUserId { get; init; }
    public string? ImageUrl { get; init; }
    public string? EndImageUrl { get; init; }
    public IReadOnlyList<string> ImageUrls { get; init; } = [];
    public IReadOnlyList<string> VideoUrls { get; init; } = [];
    public IReadOnlyList<string> AudioUrls { get; init; } = [];
}
