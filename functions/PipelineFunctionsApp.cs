using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using Pipeline.Core.DependencyInjection;
using Pipeline.Core.Telemetry;

namespace Pipeline.Functions;

/// <summary>The Functions app's services: the pipeline core and its telemetry. Program.cs and the wiring test both call this.</summary>
public static class PipelineFunctionsApp
{
    public static IHostApplicationBuilder AddPipelineFunctions(this IHostApplicationBuilder builder)
    {
        builder.Services.AddVideoPipeline();
        AddTelemetry(builder.Services, builder.Configuration);
        builder.Services.AddSubmitGate(); // last: stopped first, while the worker still reports the submits it lets finish
        return builder;
    }

    /// <summary>
    /// OpenTelemetry in the worker, exported by the worker itself (host.json's <c>telemetryMode</c> is OpenTelemetry,
    /// so the host exports only its own): to Application Insights with the app's managed identity when
    /// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, to any OTLP collector when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// is. Without either (<c>func start</c>), the worker's logs go to the host as before.
    /// </summary>
    private static void AddTelemetry(IServiceCollection services, IConfiguration configuration)
    {
        var appInsights = !string.IsNullOrEmpty(configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        var otlp = !string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!appInsights && !otlp)
        {
            return;
        }

        var telemetry = services.AddOpenTelemetry().UseFunctionsWorkerDefaults().AddPipelineTelemetry();
        if (appInsights)
        {
            telemetry.UseAzureMonitorExporter(o =>
            {
                o.ConnectionString = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
                o.Credential = AzureCredentials.ForApplicationInsights(configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
            });
        }

        if (otlp)
        {
            telemetry.UseOtlpExporter();
        }
    }
}
