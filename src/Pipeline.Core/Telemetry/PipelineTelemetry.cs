using System.Diagnostics;

namespace Pipeline.Core.Telemetry;

/// <summary>
/// The pipeline's spans and the names of the dimensions every log and span of a job carries. One trace per job: the
/// job's first span (<c>video_job.start</c>, under the HTTP request or the blob trigger that accepted it) is the parent
/// of Durable's orchestration and activity spans, the steps' spans below them, and the webhook's span, which is
/// joined to the job's trace by the trace context kept with the job (fal's call carries none).
/// </summary>
public static class PipelineTelemetry
{
    public const string SourceName = "VideoPipeline";

    /// <summary>Durable Task's own spans (client, orchestration, activities) in the worker.</summary>
    public const string DurableTaskSourceName = "Microsoft.DurableTask";

    public const string JobId = "job.id";

    public const string JobMode = "job.mode";

    public const string EndUserId = "job.end_user_id";

    public const string FalRequestId = "fal.request_id";

    /// <summary>Every source a host listens to for the pipeline's traces.</summary>
    public static readonly string[] Sources = [SourceName, DurableTaskSourceName];

    internal static readonly ActivitySource Source = new(SourceName);
}
