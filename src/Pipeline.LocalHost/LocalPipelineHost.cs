using FalEmulator;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Pipeline.Core.DependencyInjection;
using Pipeline.Core.Storage;
using Pipeline.Core.Telemetry;
using Pipeline.Http;
using Pipeline.LocalHost.Console;
using Pipeline.LocalHost.Engine;
using Pipeline.LocalHost.Events;
using Pipeline.LocalHost.Folders;

namespace Pipeline.LocalHost;

/// <summary>
/// Builds the local host: the pipeline core with the same HTTP routes as the Functions app on
/// <c>http://localhost:7071/api/...</c>, the Azure Storage durable backend on Azurite, the fal emulator (unless real fal
/// is asked for), an Event Grid sink writing <c>events.jsonl</c>, and the inbox/videos folder mirrors.
/// </summary>
public static partial class LocalPipelineHost
{
    /// <summary>
    /// The header of the readiness address's answer that says how the host runs: <see cref="ServingMode"/> (until
    /// stopped) or <see cref="OneShotMode"/> (until its one job ends), so that a one-shot knows which host may take its job.
    /// </summary>
    public const string ModeHeader = "Local-Host-Mode";

    public const string ServingMode = "serving";

    public const string OneShotMode = "one-shot";

    /// <param name="configure">A last word on the builder (tests add log capture).</param>
    /// <param name="tasks">What the durable worker runs (default: the pipeline's tasks).</param>
    /// <param name="oneShot">The host runs one job and stops (see <see cref="ModeHeader"/>).</param>
    public static async Task<(WebApplication App, FalEmulatorHost? Emulator)> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null,
        Action<Microsoft.DurableTask.DurableTaskRegistry>? tasks = null, bool oneShot = false)
    {
        var builder = WebApplication.CreateBuilder(args);
        UseHomeVariable(builder.Configuration);
        var options = OptionsOf(builder.Configuration);
        var baseUrl = $"http://localhost:{options.Port}";
        EnsurePrivateEnough(options);
        builder.WebHost.UseUrls($"http://{options.Listen}:{options.Port}");
        builder.Services.Configure<LocalHostOptions>(builder.Configuration.GetSection(LocalHostOptions.SectionName));
        builder.Logging.AddSimpleConsole(c =>
        {
            c.SingleLine = true;
            c.TimestampFormat = "HH:mm:ss ";
        });
        QuietConsoleLoggerProvider.ReplaceConsole(builder.Logging);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("System.Net.Http", LogLevel.Warning)
            .AddFilter("DurableTask", LogLevel.Warning).AddFilter("Grpc", LogLevel.Warning);

        // The console tells of jobs through JobProgressReporter, which keeps quiet about sidecars; the core's own line at
        // each job's start and end (kept for telemetry) would announce every sidecar's job as one that started and ended.
        builder.Logging.AddFilter<QuietConsoleLoggerProvider>(typeof(Pipeline.Core.Api.JobScheduler).FullName, LogLevel.Warning)
            .AddFilter<QuietConsoleLoggerProvider>(typeof(Pipeline.Core.Orchestrations.VideoJobOrchestrator).FullName, LogLevel.Warning);

        FalEmulatorHost? emulator = null;
        var defaults = new Dictionary<string, string?>
        {
            [PipelineStorage.ConnectionName] = builder.Configuration[PipelineStorage.ConnectionName] ?? "UseDevelopmentStorage=true",
            ["Pipeline:PublicBaseUrl"] = builder.Configuration["Pipeline:PublicBaseUrl"] ?? baseUrl,
            ["Pipeline:WebhookWait"] = builder.Configuration["Pipeline:WebhookWait"] ?? "00:00:20",
            ["Pipeline:PollInterval"] = builder.Configuration["Pipeline:PollInterval"] ?? "00:00:05",
            ["Pipeline:SidecarGrace"] = builder.Configuration["Pipeline:SidecarGrace"] ?? "00:00:02",
            ["Pipeline:ApiBaseUrl"] = builder.Configuration["Pipeline:ApiBaseUrl"] ?? baseUrl,
            ["TASKHUB_NAME"] = options.TaskHub, // the name the Functions app reads
            ["EventGrid:TopicEndpoint"] = builder.Configuration["EventGrid:TopicEndpoint"] ?? baseUrl + EventGridSink.Path,
            // The sink takes events only from this machine, with a key made for this run.
            ["EventGrid:TopicKey"] = builder.Configuration["EventGrid:TopicKey"] ?? Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
        };
        if (options.UseEmulator)
        {
            emulator = await FalEmulatorHost.StartAsync(o =>
            {
                o.TimeScale = options.EmulatorTimeScale;
                o.Runners = options.EmulatorRunners;
            }, options.EmulatorPort);
            foreach (var (key, value) in PipelineSettings.For(emulator))
            {
                defaults[key] = value;
            }
        }
        else
        {
            // fal cannot fetch SAS URLs of a storage on this machine: send inbox files inline unless told otherwise.
            defaults["Pipeline:SendInputsAsDataUris"] = builder.Configuration["Pipeline:SendInputsAsDataUris"] ?? "true";
            if (builder.Configuration["Pipeline:PublicBaseUrl"] is null)
            {
                defaults["Pipeline:PublicBaseUrl"] = null; // fal cannot reach localhost: poll instead of waiting for webhooks
            }
        }

        builder.Configuration.AddInMemoryCollection(defaults);
        builder.Services.AddVideoPipeline();
        builder.Services.AddAzureStorageDurableEngine(builder.Configuration[PipelineStorage.ConnectionName]!, options, tasks);
        builder.Services.AddHostedService<StorageContainers>();
        builder.Services.AddHostedService<InboxFolderMirror>();
        builder.Services.AddHostedService<InboxContainerTrigger>();
        builder.Services.AddHostedService<VideosFolderMirror>();
        builder.Services.AddSingleton<JobWatchList>();
        builder.Services.AddTransient<Pipeline.Core.Api.JobScheduler, WatchedJobScheduler>();
        builder.Services.AddHostedService<JobProgressReporter>();
        builder.Services.AddHostedService<Housekeeping.JobReconcilerLoop>();
        builder.Services.AddHostedService<Housekeeping.JobPurgeLoop>();
        builder.Services.AddHostedService<Housekeeping.EventOutboxLoop>();
        builder.Services.AddProblemDetails();
        AddTelemetry(builder.Services, options.Telemetry);
        configure?.Invoke(builder);
        builder.Services.AddSubmitGate(); // last: stopped first, while the engine still takes the answers of the submits it lets finish

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            app.UseWhen(RequiresApiKey, branch => branch.Use(async (http, next) =>
            {
                var given = http.Request.Headers["x-functions-key"].ToString() is { Length: > 0 } header ? header : http.Request.Query["code"].ToString();
                if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                        System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(options.ApiKey)))
                {
                    await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "An API key is required",
                        detail: "send it in the x-functions-key header").ExecuteAsync(http);
                    return;
                }

                await next(http);
            }));
        }
        app.MapPipelineApi();
        app.MapEventGridSink();
        // The page itself at / (not a redirect): a readiness check that waits for 200 on / sees the host ready.
        app.MapGet("/", (HttpResponse response) =>
        {
            response.Headers[ModeHeader] = oneShot ? OneShotMode : ServingMode;
            return Pipeline.Http.Page.VideosPage.Serve(null, response);
        }).ExcludeFromDescription();
        if (emulator is not null)
        {
            app.Lifetime.ApplicationStopped.Register(() => emulator.DisposeAsync().AsTask().GetAwaiter().GetResult());
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LocalHost");
        LogStarting(logger, baseUrl, options.InboxFolder, options.VideosFolder, options.EventsFile,
            emulator is null ? "fal (real)" : $"the fal emulator at {emulator.BaseAddress}");
        if (emulator is null && builder.Configuration["Pipeline:PublicBaseUrl"] is null)
        {
            LogPolling(logger);
        }

        return (app, emulator);
    }

    /// <summary>The host's configuration from these arguments, as <see cref="BuildAsync"/> reads it, without building a host.</summary>
    public static IConfiguration ConfigurationOf(string[] args)
    {
        var configuration = WebApplication.CreateBuilder(args).Configuration;
        UseHomeVariable(configuration);
        return configuration;
    }

    /// <summary>The <c>LocalHost</c> settings; <see cref="InvalidOperationException"/> names a value that does not convert.</summary>
    public static LocalHostOptions OptionsOf(IConfiguration configuration) =>
        configuration.GetSection(LocalHostOptions.SectionName).Get<LocalHostOptions>() ?? new LocalHostOptions();

    /// <summary>
    /// <c>PIPELINE_HOME</c> (the environment, as every host reads it into configuration) is where <c>LocalHost:Home</c>
    /// defaults to, so the program finds the folder the scripts and the README name without <c>run.sh</c> passing it on;
    /// <c>LocalHost:Home</c>, from any source, wins.
    /// </summary>
    private static void UseHomeVariable(ConfigurationManager configuration)
    {
        var key = $"{LocalHostOptions.SectionName}:{nameof(LocalHostOptions.Home)}";
        if (string.IsNullOrEmpty(configuration[key]) && configuration[LocalHostOptions.HomeVariable] is { Length: > 0 } home)
        {
            configuration.AddInMemoryCollection([KeyValuePair.Create<string, string?>(key, home)]);
        }
    }

    /// <summary>
    /// The local host answers only this machine unless told otherwise (<c>LocalHost:Listen</c>); with real fal behind it
    /// (paid jobs), it refuses to answer the network without an API key.
    /// </summary>
    private static void EnsurePrivateEnough(LocalHostOptions options)
    {
        var loopback = options.Listen.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                       || (System.Net.IPAddress.TryParse(options.Listen.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));
        if (!loopback && !options.UseEmulator && string.IsNullOrEmpty(options.ApiKey))
        {
            throw new InvalidOperationException(
                $"LocalHost:Listen is {options.Listen}, beyond this machine, with real fal behind it: anyone on the network could start paid jobs. Set LocalHost:ApiKey, or listen on localhost.");
        }
    }

    /// <summary>
    /// The same spans and log dimensions as the Functions app, plus incoming requests; always made (tests read them),
    /// exported only when <c>LocalHost:Telemetry</c> asks.
    /// </summary>
    private static void AddTelemetry(IServiceCollection services, string exporter)
    {
        var telemetry = services.AddOpenTelemetry().AddPipelineTelemetry()
            .ConfigureResource(r => r.AddService("video-pipeline-local"))
            .WithTracing(t => t.AddAspNetCoreInstrumentation(http =>
                http.Filter = request => !request.Request.Path.StartsWithSegments(PipelineTelemetryRegistration.DurableSidecarPath.TrimEnd('/'))));
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
    }

    /// <summary>Creates the inbox and videos containers in Azurite before anything lists them.</summary>
    private sealed class StorageContainers(PipelineStorage storage, ILogger<StorageContainers> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            Housekeeping.UntilStorageAnswers.RunAsync(() => storage.EnsureContainersAsync(cancellationToken), "The containers", logger, cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// Every API call takes the key, as every function-key route does in Azure, except what is public there too: the
    /// page, the OpenAPI document and fal's webhook (which proves itself otherwise).
    /// </summary>
    internal static bool RequiresApiKey(HttpContext http) =>
        http.Request.Path.StartsWithSegments("/api")
        && !http.Request.Path.StartsWithSegments("/api/" + Pipeline.Http.Page.VideosPage.Route)
        && !http.Request.Path.StartsWithSegments(Pipeline.Http.Contract.OpenApiContract.Route)
        && !http.Request.Path.StartsWithSegments("/" + Pipeline.Core.Webhooks.WebhookUrls.Path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Video pipeline: open {BaseUrl}/ in a browser (API on {BaseUrl}/api); drop files into {Inbox}; videos appear in {Videos}; events in {Events}; talking to {Fal}")]
    private static partial void LogStarting(ILogger logger, string baseUrl, string inbox, string videos, string events, string fal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No public base URL (Pipeline__PublicBaseUrl): fal cannot send webhooks here, so jobs complete by polling fal")]
    private static partial void LogPolling(ILogger logger);
}
