using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Pipeline.Core.Telemetry;

namespace Pipeline.LocalHost.Startup;

/// <summary>
/// The same spans and log dimensions as the Functions app, plus incoming requests; always made (tests read them),
/// exported only when <c>LocalHost:Telemetry</c> asks.
/// </summary>
internal static class LocalHostTelemetry
{
    public static IServiceCollection AddLocalHostTelemetry(this IServiceCollection services, string exporter)
    {
        var sidecar = PipelineTelemetryRegistration.DurableSidecarPath.TrimEnd('/');
        var telemetry = services.AddOpenTelemetry().AddPipelineTelemetry()
            .ConfigureResource(r => r.AddService("video-pipeline-local"))
            .WithTracing(t => t.AddAspNetCoreInstrumentation(http =>
                http.Filter = request => !request.Request.Path.StartsWithSegments(sidecar)));
        switch (exporter.ToLowerInvariant())
        {
            case "console":
                telemetry.WithTracing(t => t.AddConsoleExporter()).WithLogging(l => l.AddConsoleExporter());
                break;
            case "otlp":
                telemetry.UseOtlpExporter();
                break;
            case "off":
                break;
            default:
                throw new InvalidOperationException($"LocalHost:Telemetry is '{exporter}': use off, console or otlp");
        }

        return services;
    }
}
