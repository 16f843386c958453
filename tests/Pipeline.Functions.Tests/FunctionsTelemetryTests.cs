using System.Reflection;
using System.Text.Json.Nodes;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using Pipeline.Functions.Http;

namespace Pipeline.Functions.Tests;

/// <summary>
/// The Functions app's telemetry wiring, as far as it can be seen without a host: the worker exports with OpenTelemetry
/// to Application Insights with the managed identity; host.json puts the host in OpenTelemetry mode with Durable's
/// distributed tracing; every activity function receives its job id.
/// </summary>
public sealed class FunctionsTelemetryTests
{
    private static IHost BuildAppHost(Dictionary<string, string?> extra)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PipelineStorage"] = "UseDevelopmentStorage=true",
            ["FAL_KEY"] = "test-key-id:test-key-secret",
        }.Concat(extra));
        builder.AddPipelineFunctions();
        return builder.Build();
    }

    [Fact]
    public void InAzure_TheWorkerExportsToApplicationInsightsWithTheAppsManagedIdentity()
    {
        using var host = BuildAppHost(new()
        {
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
                + "IngestionEndpoint=https://example.in.applicationinsights.azure.com/",
            ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = "ClientId=11111111-1111-1111-1111-111111111111;Authorization=AAD",
        });

        Assert.NotNull(host.Services.GetService<TracerProvider>());
        var exporter = host.Services.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName);
        Assert.IsType<ManagedIdentityCredential>(exporter.Credential);
    }

    [Fact]
    public void WithoutAnExporterConfigured_TheWorkerLeavesItsLogsToTheHost() // func start
    {
        using var host = BuildAppHost([]);

        Assert.Null(host.Services.GetService<TracerProvider>());
    }

    [Fact]
    public void HostJson_ExportsWithOpenTelemetry_AndTracesDurableOrchestrations()
    {
        var hostJson = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")))!;

        Assert.Equal("OpenTelemetry", hostJson["telemetryMode"]!.GetValue<string>());
        var tracing = hostJson["extensions"]!["durableTask"]!["tracing"]!;
        Assert.True(tracing["distributedTracingEnabled"]!.GetValue<bool>());
        Assert.Equal("V2", tracing["version"]!.GetValue<string>());
    }

    [Fact]
    public void EveryActivityFunction_TakesItsJobIdFromTheDurableBindingData()
    {
        var activities = typeof(VideosApi).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .Where(m => m.GetParameters().Any(p => p.GetCustomAttribute<ActivityTriggerAttribute>() is not null))
            .ToList();

        Assert.NotEmpty(activities);
        // The Durable extension's activity trigger binds "instanceId" (the orchestration's id) to a string parameter of that
        // name. The callbacks' activity runs in the job's callback orchestration, not the job's: its input names the job.
        var ofTheJob = activities
            .Where(m => m.Name != nameof(Pipeline.Functions.Orchestration.JobCallbacksOrchestration.DeliverCallback))
            .ToList();
        Assert.Equal(activities.Count - 1, ofTheJob.Count);
        Assert.All(ofTheJob, m => Assert.Contains(m.GetParameters(), p => p.Name == "instanceId" && p.ParameterType == typeof(string)));
    }
}
