using System.Diagnostics;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Telemetry;

/// <summary>
/// One step of a job as telemetry: a span of <see cref="PipelineTelemetry.Source"/> and a logging scope, both carrying
/// the job's dimensions. Under the current span when it belongs to the job's trace (Durable's activity span), else
/// under the job's trace context when one is given (the webhook, whose request fal starts), else a new trace (a job's
/// start).
/// </summary>
public sealed class JobTelemetry : IDisposable
{
    private readonly Activity? _span;
    private readonly IDisposable? _scope;
    private readonly JobDimensions _dimensions;

    private JobTelemetry(ILogger logger, string operation, string jobId, ActivityKind kind, string? jobTraceParent)
    {
        _dimensions = new JobDimensions(jobId);
        var current = Activity.Current;
        var parent = ActivityContext.TryParse(jobTraceParent, null, out var job) && current?.TraceId != job.TraceId ? job : default;
        ActivityLink[]? links = parent != default && current is not null ? [new ActivityLink(current.Context)] : null;
        _span = PipelineTelemetry.Source.StartActivity(operation, kind, parent, tags: _dimensions, links: links);
        _scope = logger.BeginScope(_dimensions);
    }

    /// <summary>The span's W3C trace context, kept with a job so that later steps (the webhook) join its trace.</summary>
    public string? TraceParent => _span?.Id;

    /// <param name="jobTraceParent">
    /// The job's trace context (<see cref="Jobs.VideoJob.TraceParent"/>), for a step that fal or a timer starts.
    /// </param>
    public static JobTelemetry Start(
        ILogger logger, string operation, string jobId, ActivityKind kind = ActivityKind.Internal, string? jobTraceParent = null) =>
        new(logger, operation, jobId, kind, jobTraceParent);

    /// <summary>Adds what the step has learned of its job to the span and to every later log line of the scope.</summary>
    public JobTelemetry Learn(VideoMode? mode = null, string? endUserId = null, string? falRequestId = null)
    {
        foreach (var (key, value) in _dimensions.Learn(mode, endUserId, falRequestId))
        {
            _span?.SetTag(key, value);
        }

        return this;
    }

    public void Tag(string key, string? value) => _span?.SetTag(key, value);

    public void Fail(Exception exception)
    {
        _span?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        _span?.AddException(exception);
    }

    public void Dispose()
    {
        _scope?.Dispose();
        _span?.Dispose();
    }
}
