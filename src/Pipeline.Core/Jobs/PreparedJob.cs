using Pipeline.Core.Requests;

namespace Pipeline.Core.Jobs;

/// <summary>What an inbox drop asks for, once its sidecar and metadata are read.</summary>
/// <param name="Errors">Every problem, by field, when the drop does not make a valid request.</param>
/// <param name="Correlation">The drop's correlation map, from its sidecar's <c>correlation</c> or its <c>correlation_*</c> metadata.</param>
public sealed record PreparedJob(
    VideoMode Mode, VideoRequest? Request, IReadOnlyDictionary<string, string[]>? Errors, bool Superseded, string? Problem,
    IReadOnlyDictionary<string, string>? Correlation = null);
