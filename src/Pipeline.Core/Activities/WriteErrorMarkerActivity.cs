using Pipeline.Core.Jobs;
using Pipeline.Core.Storage;
using Pipeline.Core.Requests;
using Pipeline.Core.Telemetry;

namespace Pipeline.Core.Activities;

/// <summary>Leaves <c>videos/&lt;path&gt;.error.json</c> beside where an inbox job's video would have gone, with the reason.</summary>
public sealed class WriteErrorMarkerActivity(VideoStore videos) : IPipelineActivity<ErrorMarkerInput, string>
{
    public const string Name = "WriteErrorMarker";

    public Task<string> RunAsync(ErrorMarkerInput input, CancellationToken cancellationToken) =>
        videos.WriteErrorMarkerAsync(input, cancellationToken);
}
