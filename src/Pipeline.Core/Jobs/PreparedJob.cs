using Pipeline.Core.Requests;

namespace Pipeline.Core.Jobs;

/// <summary>What an inbox drop asks for, once its sidecar and metadata are read: one record per outcome.</summary>
public abstract record PreparedJob(VideoMode Mode)
{
    /// <summary>
    /// A valid request, the drop's correlation map (from its sidecar's <c>correlation</c> or its <c>correlation_*</c>
    /// metadata), how many variants of it the drop asks for, and where its events go.
    /// </summary>
    public sealed record Ready(
        VideoMode Mode,
        VideoRequest Request,
        IReadOnlyDictionary<string, string>? Correlation = null,
        int Variants = 1,
        Callbacks.JobCallback? Callback = null)
        : PreparedJob(Mode);

    /// <summary>The drop does not make a valid request: <paramref name="Problem"/> says why, <paramref name="Errors"/> by field.</summary>
    public sealed record Invalid(VideoMode Mode, string Problem, IReadOnlyDictionary<string, string[]>? Errors = null) : PreparedJob(Mode);

    /// <summary>A .json beside an image of its name: the image's job uses it as its sidecar.</summary>
    public sealed record Superseded() : PreparedJob(VideoMode.ImageToVideo);

    /// <summary>
    /// The drop's companion may still be on its way (a sidecar after its image, an image after its .json): look again
    /// after <paramref name="Wait"/>.
    /// </summary>
    public sealed record WaitForCompanion(VideoMode Mode, TimeSpan Wait) : PreparedJob(Mode);
}
