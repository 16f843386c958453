using Pipeline.Core.Requests;

namespace Pipeline.Core.Jobs;

/// <summary>What an inbox drop asks for, once its sidecar and metadata are read.</summary>
/// <param name="Errors">Every problem, by field, when the drop does not make a valid request.</param>
public sealed record PreparedJob(VideoMode Mode, VideoRequest? Request, IReadOnlyDictionary<string, string[]>? Errors, bool Superseded, string? Problem);
