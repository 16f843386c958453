using Pipeline.Core.Requests;
using Pipeline.Core.Telemetry;
using Pipeline.Core.Fal;

namespace Pipeline.Core.Submits;

/// <summary>Which job's lost submits to look for in fal's request history.</summary>
public sealed record FindAtFalInput(string JobId, VideoMode Mode) : IDescribesJob
{
    (VideoMode? Mode, string? EndUserId, string? FalRequestId) IDescribesJob.Describe() => (Mode, null, null);
}

/// <summary>A lost submit found at fal: its attempt and fal's request (now recorded in the submit ledger).</summary>
public sealed record FoundSubmit(int Attempt, FalRequestRef Request);

/// <summary>
/// What fal's request history told of a job's lost submits; <paramref name="Readable"/> false when it could not be read,
/// and <paramref name="FalAway"/> when that was fal being away (worth waiting for) rather than a refusal (a key without
/// the platform API's rights: the history will not be read).
/// </summary>
public sealed record FalSearch(IReadOnlyList<FoundSubmit> Found, bool Readable, string? Problem = null, bool FalAway = false);
