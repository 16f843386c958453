using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Activities;

/// <summary>What an inbox drop asks for, once its sidecar and metadata are read.</summary>
/// <param name="Errors">Every problem, by field, when the drop does not make a valid request.</param>
public sealed record PreparedJob(VideoMode Mode, VideoRequest? Request, IReadOnlyDictionary<string, string[]>? Errors, bool Superseded, string? Problem);

/// <summary>Reads a dropped blob with its sidecar <c>.json</c> and metadata and turns them into a validated request.</summary>
public sealed class PrepareInboxJobActivity(InboxReader inbox) : IPipelineActivity<VideoJob, PreparedJob>
{
    public const string Name = "PrepareInboxJob";

    public Task<PreparedJob> RunAsync(VideoJob input, CancellationToken cancellationToken) =>
        inbox.PrepareAsync(input.Source, cancellationToken);
}
