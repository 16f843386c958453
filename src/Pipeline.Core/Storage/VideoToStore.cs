using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Storage;

/// <summary>
/// What the videos container needs to take a video from fal: the file, where it goes, and what its metadata says of the
/// job (its id, fal's request, the mode, the seed, the source, attribution).
/// </summary>
public sealed record VideoToStore(
    string JobId, string OutputBlob, string VideoUrl, string? ContentType, long? FileSize, string FalRequestId)
{
    public required VideoMode Mode { get; init; }

    public required JobSource Source { get; init; }

    public long? Seed { get; init; }

    public string? EndUserId { get; init; }

    public IReadOnlyDictionary<string, string>? Correlation { get; init; }
}
