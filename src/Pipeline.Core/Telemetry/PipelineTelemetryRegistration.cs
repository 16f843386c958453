using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace Pipeline.Core.Telemetry;

/// <summary>What both hosts trace and log through OpenTelemetry; each host adds its exporter.</summary>
public static class PipelineTelemetryRegistration
{
    /// <summary>The gRPC channel between the worker and the Durable sidecar or host, so that steps appear once.</summary>
    public const string DurableSidecarPath = "/TaskHubSidecarService/";

    /// <summary>
    /// Outgoing calls made for something (a job's step, a request): not the engine's background polling of its queues,
    /// which would be a trace of its own every second, nor the worker's calls to the Durable sidecar.
    /// </summary>
    public static bool IsTraced(HttpRequestMessage request) =>
        System.Diagnostics.Activity.Current is not null
        && request.RequestUri?.AbsolutePath.StartsWith(DurableSidecarPath, StringComparison.Ordinal) != true;

    /// <summary>
    /// The pipeline's and Durable Task's spans, outgoing HTTP calls (fal, storage, Event Grid; query strings — SAS
    /// signatures, webhook tokens — are redacted by the instrumentation), and logs with their scopes, so that the job's
    /// dimensions become attributes of every line.
    /// </summary>
    public static IOpenTelemetryBuilder AddPipelineTelemetry(this IOpenTelemetryBuilder builder) =>
        builder
            .WithTracing(tracing => tracing
                .AddSource(PipelineTelemetry.Sources)
                .AddHttpClientInstrumentation(http => http.FilterHttpRequestMessage = IsTraced))
            .WithMetrics(metrics => metrics.AddMeter(PipelineTelemetry.SourceName))
            .WithLogging(configureBuilder: null, configureOptions: logs =>
            {
                logs.IncludeScopes = true;
                logs.IncludeFormattedMessage = true;
            });
}
