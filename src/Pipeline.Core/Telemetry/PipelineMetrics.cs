using System.Diagnostics.Metrics;

namespace Pipeline.Core.Telemetry;

/// <summary>
/// The pipeline's own metrics (meter <see cref="PipelineTelemetry.SourceName"/>): what an operator alerts on when a
/// dependency is away — events waiting in the outbox, delivered late, or given up.
/// </summary>
public static class PipelineMetrics
{
    private static readonly Meter Meter = new(PipelineTelemetry.SourceName);

    private static long _undelivered;

    public static readonly Counter<long> EventsKept = Meter.CreateCounter<long>("pipeline.events.kept", "{event}",
        "Job events that could not be delivered at once and wait in the outbox");

    public static readonly Counter<long> EventsDeliveredLate = Meter.CreateCounter<long>("pipeline.events.delivered_late", "{event}",
        "Job events delivered from the outbox");

    public static readonly Counter<long> EventsGivenUp = Meter.CreateCounter<long>("pipeline.events.given_up", "{event}",
        "Job events still undelivered when their retry time ran out");

    static PipelineMetrics() =>
        Meter.CreateObservableGauge("pipeline.events.undelivered", () => Interlocked.Read(ref _undelivered), "{event}",
            "Job events in the outbox at the last sweep");

    public static void Undelivered(long count) => Interlocked.Exchange(ref _undelivered, count);
}
