using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pipeline.Core.Options;
using Pipeline.Functions;
using Pipeline.Functions.Http;

namespace Pipeline.Functions.Tests;

/// <summary>
/// No Functions host runs here, so this proves the app's wiring another way: the app's own builder setup (what
/// Program.cs runs) builds a host whose container creates every function class, and the build's generated metadata
/// lists every function with the triggers the pipeline relies on.
/// </summary>
public sealed class FunctionsAppWiringTests
{
    private static readonly Assembly App = typeof(VideosApi).Assembly;

    private static IHost BuildAppHost(IEnumerable<KeyValuePair<string, string?>>? settings = null)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>
        {
            ["PipelineStorage"] = "UseDevelopmentStorage=true",
            ["FAL_KEY"] = "test-key-id:test-key-secret",
            ["Pipeline:PublicBaseUrl"] = "https://example.azurewebsites.net",
            ["EventGrid:TopicEndpoint"] = "https://topic.example.eventgrid.azure.net/api/events",
        });
        builder.AddPipelineFunctions();
        return builder.Build();
    }

    private static IEnumerable<(Type Type, MethodInfo Method, string Name)> FunctionMethods() =>
        from type in App.GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
        let attribute = method.GetCustomAttribute<FunctionAttribute>()
        where attribute is not null
        select (type, method, attribute.Name);

    [Fact]
    public void AppHost_CreatesEveryFunctionClassWithItsDependencies()
    {
        using var host = BuildAppHost();

        var classes = FunctionMethods().Where(f => !f.Method.IsStatic).Select(f => f.Type).Distinct().ToList();

        Assert.NotEmpty(classes);
        foreach (var type in classes)
        {
            Assert.NotNull(ActivatorUtilities.CreateInstance(host.Services, type));
        }
    }

    [Fact]
    public void AppHost_ValidatesItsOptionsAtStart()
    {
        using var host = BuildAppHost();

        host.Services.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal(
            new Uri("https://example.azurewebsites.net"),
            host.Services.GetRequiredService<IOptions<PipelineOptions>>().Value.PublicBaseUrl);
    }

    [Fact]
    public void AppHost_WithTheSampleSettings_ValidatesAndLeavesTheEmptyCapsOff()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(folder!.FullName, "local.settings.sample.json")))
        {
            folder = folder.Parent;
        }

        var values = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.FullName, "local.settings.sample.json")))!["Values"]!.AsObject()
            .Select(v => KeyValuePair.Create(v.Key.Replace("__", ":", StringComparison.Ordinal), (string?)v.Value!.GetValue<string>()));
        using var host = BuildAppHost(values);

        host.Services.GetRequiredService<IStartupValidator>().Validate();
        var costs = host.Services.GetRequiredService<IOptions<Pipeline.Core.Costs.CostOptions>>().Value;
        Assert.Null(costs.DailyBudgetUsd);
        Assert.Null(costs.MaxConcurrentJobs);
        Assert.Equal(0.2419m, costs.PricePerSecondUsd["720p"]);
    }

    [Fact]
    public void AppHost_RefusesASlotLeaseShorterThanTheJobDeadline()
    {
        using var host = BuildAppHost(new Dictionary<string, string?>
        {
            ["PipelineStorage"] = "UseDevelopmentStorage=true",
            ["FAL_KEY"] = "test-key-id:test-key-secret",
            ["Pipeline:JobDeadline"] = "01:00:00",
            ["Costs:SlotLease"] = "00:30:00",
        });

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Costs:SlotLease must outlast Pipeline:JobDeadline", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedMetadata_ListsEveryFunctionWithItsTrigger()
    {
        var metadataPath = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        Assert.True(File.Exists(metadataPath), $"the Functions SDK writes {metadataPath} at build time");
        var metadata = JsonNode.Parse(File.ReadAllText(metadataPath))!.AsArray();
        var triggers = metadata.ToDictionary(
            f => f!["name"]!.GetValue<string>(),
            f => f!["bindings"]!.AsArray()
                .Select(b => b!["type"]!.GetValue<string>())
                .First(t => t.EndsWith("Trigger", StringComparison.Ordinal)));

        Assert.Equal(FunctionMethods().Select(f => f.Name).Order(), triggers.Keys.Order());
        Assert.Equal("orchestrationTrigger", triggers["VideoJob"]);
        Assert.Equal("activityTrigger", triggers["SubmitToFal"]);
        Assert.Equal("httpTrigger", triggers["SubmitVideo"]);
        Assert.Equal("httpTrigger", triggers["FalWebhook"]);
        Assert.Equal("blobTrigger", triggers["InboxTrigger"]);
        var inbox = metadata.Single(f => f!["name"]!.GetValue<string>() == "InboxTrigger")!["bindings"]!.AsArray()
            .Single(b => b!["type"]!.GetValue<string>() == "blobTrigger")!;
        Assert.Equal("EventGrid", inbox["source"]!.GetValue<string>());
        Assert.Equal("inbox/{name}", inbox["path"]!.GetValue<string>());
    }

    [Fact]
    public void GeneratedMetadata_HasAnActivityFunctionForEveryActivityOfTheCore()
    {
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray();
        var activities = metadata.Where(f => f!["bindings"]!.AsArray().Any(b => b!["type"]!.GetValue<string>() == "activityTrigger"))
            .Select(f => f!["name"]!.GetValue<string>()).Order();

        // Every activity an orchestration may call: those of versions 1 and 2 (each a core class with its Name) and version 3's steps.
        var frozen = typeof(Pipeline.Core.Activities.IPipelineActivity<,>).Assembly.GetTypes()
            .Where(t => t.GetInterfaces().Any(i =>
                i.IsGenericType && i.GetGenericTypeDefinition() == typeof(Pipeline.Core.Activities.IPipelineActivity<,>)))
            .Select(t => t.GetField("Name")?.GetValue(null) as string).OfType<string>();
        var steps = typeof(Pipeline.Core.Steps.JobSteps).GetFields().Select(f => (string)f.GetValue(null)!);
        Assert.Equal(frozen.Concat(steps).Order(), activities);
    }

    [Fact]
    public void GeneratedMetadata_EveryStepTakesAndAnswersItsEnvelope()
    {
        // The engine completes a task with whatever result it holds for the task id: a step must be able to tell.
        var steps = typeof(Pipeline.Core.Steps.JobSteps).GetFields().Select(f => (string)f.GetValue(null)!).ToHashSet();
        var methods = FunctionMethods().Where(f => steps.Contains(f.Name)).ToList();

        Assert.Equal(steps.Count, methods.Count);
        Assert.All(methods, f =>
        {
            Assert.Equal(typeof(Task<Pipeline.Core.Steps.StepAnswer>), f.Method.ReturnType);
            Assert.Equal(typeof(Pipeline.Core.Steps.StepCall), f.Method.GetParameters()[0].ParameterType);
        });
    }

    [Theory]
    [InlineData("ReconcileJobs", "0 * * * * *")] // every minute
    [InlineData("PurgeJobs", "0 17 * * * *")] // every hour
    [InlineData("DeliverKeptEvents", "30 * * * * *")] // every minute, between the reconciler's runs
    public void GeneratedMetadata_RunsHousekeepingOnItsSchedule(string function, string schedule)
    {
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray();
        var timer = metadata.Single(f => f!["name"]!.GetValue<string>() == function)!["bindings"]!.AsArray()
            .Single(b => b!["type"]!.GetValue<string>() == "timerTrigger")!;

        Assert.Equal(schedule, timer["schedule"]!.GetValue<string>());
    }

    [Fact]
    public void HostJson_StartsJobsWithTheOrchestratorsVersionAndRunsOnlyItsOwnAndOlder()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(folder!.FullName, "host.json")))
        {
            folder = folder.Parent;
        }

        var durable = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.FullName, "host.json")))!["extensions"]!["durableTask"]!;

        Assert.Equal(Pipeline.Core.Orchestrations.VideoJobOrchestrator.Version, durable["defaultVersion"]!.GetValue<string>());
        Assert.Equal("CurrentOrOlder", durable["versionMatchStrategy"]!.GetValue<string>());
        Assert.Equal("Reject", durable["versionFailureStrategy"]!.GetValue<string>());
    }

    [Fact]
    public void GeneratedMetadata_HttpRoutes_AreTheOpenApiDocumentsRoutes()
    {
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray();
        var functions = metadata.SelectMany(f => f!["bindings"]!.AsArray().Where(b => b!["type"]!.GetValue<string>() == "httpTrigger"))
            .SelectMany(b => b!["methods"]!.AsArray()
                .Select(m => $"{m!.GetValue<string>().ToUpperInvariant()} /api/{b["route"]!.GetValue<string>()}"))
            .Where(r => !r.Contains("/api/app/", StringComparison.Ordinal)) // the page, not the API
            .SelectMany(r => r.Contains("{mode}", StringComparison.Ordinal)
                ? Enum.GetValues<Pipeline.Core.Requests.VideoMode>()
                    .Select(m => r.Replace("{mode}", Pipeline.Core.Requests.VideoModes.Slug(m), StringComparison.Ordinal))
                : [r])
            .ToHashSet(StringComparer.Ordinal);
        var documented = Pipeline.Http.Contract.OpenApiContract.Document()["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(o => $"{o.Key.ToUpperInvariant()} {p.Key}"))
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(
            functions.SetEquals(documented),
            $"functions, not documented: {string.Join(", ", functions.Except(documented))}; "
            + $"documented, not functions: {string.Join(", ", documented.Except(functions))}");
    }

    [Theory]
    [InlineData("ListVideos", "videos", "function")]
    [InlineData("GetUsage", "usage", "function")]
    [InlineData("Health", "health", "function")]
    [InlineData("GetBatch", "batches/{id}", "function")]
    [InlineData("GetOpenApi", "openapi.json", "anonymous")] // a contract holds no secret
    [InlineData("SubmitVideo", "videos/{mode}", "function")]
    [InlineData("VideosPage", "app/{*file}", "anonymous")] // static files only; the API it calls keeps its keys
    [InlineData("FalWebhook", "fal/webhook", "anonymous")] // verified by fal's signature instead
    public void GeneratedMetadata_HttpRoutesAndAuthLevels(string function, string route, string authLevel)
    {
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray();
        var trigger = metadata.Single(f => f!["name"]!.GetValue<string>() == function)!["bindings"]!.AsArray()
            .Single(b => b!["type"]!.GetValue<string>() == "httpTrigger")!;

        Assert.Equal(route, trigger["route"]!.GetValue<string>());
        Assert.Equal(authLevel, trigger["authLevel"]!.GetValue<string>(), ignoreCase: true);
    }
}
