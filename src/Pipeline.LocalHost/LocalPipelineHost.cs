using FalEmulator;
using Microsoft.DurableTask;
using Pipeline.Core.DependencyInjection;
using Pipeline.Http;
using Pipeline.LocalHost.Events;
using Pipeline.LocalHost.Startup;

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

    /// <param name="args">The command line: <c>--LocalHost:Port 7071</c>, <c>--Fal:BaseUrl …</c> and so on.</param>
    /// <param name="configure">A last word on the builder (tests add log capture).</param>
    /// <param name="tasks">What the durable worker runs (default: the pipeline's tasks).</param>
    /// <param name="oneShot">The host runs one job and stops (see <see cref="ModeHeader"/>).</param>
    public static async Task<(WebApplication App, FalEmulatorHost? Emulator)> BuildAsync(string[] args,
        Action<WebApplicationBuilder>? configure = null, Action<DurableTaskRegistry>? tasks = null, bool oneShot = false)
    {
        var builder = WebApplication.CreateBuilder(args);
        UseHomeVariable(builder.Configuration);
        var options = OptionsOf(builder.Configuration);
        EnsurePrivateEnough(options);
        builder.WebHost.UseUrls($"http://{options.Listen}:{options.Port}");
        builder.Services.Configure<LocalHostOptions>(builder.Configuration.GetSection(LocalHostOptions.SectionName));
        builder.AddLocalHostLogging();
        var emulator = await EmbeddedEmulator.StartAsync(options);
        builder.AddLocalHostDefaults(options, emulator);
        builder.AddLocalHostServices(options, tasks);
        configure?.Invoke(builder);
        // Last: stopped first, while the engine still takes the answers of the submits it lets finish.
        builder.Services.AddSubmitGate();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseApiKey(options.ApiKey);
        app.MapPipelineApi();
        app.MapEventGridSink();
        app.MapLocalHostPage(oneShot);
        app.StopEmulatorAfter(emulator);
        app.LogStarting(options, emulator);
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
                       || (System.Net.IPAddress.TryParse(options.Listen.Trim('[', ']'), out var address)
                           && System.Net.IPAddress.IsLoopback(address));
        if (!loopback && !options.UseEmulator && string.IsNullOrEmpty(options.ApiKey))
        {
            throw new InvalidOperationException(
                $"LocalHost:Listen is {options.Listen}, beyond this machine, with real fal behind it: "
                + "anyone on the network could start paid jobs. Set LocalHost:ApiKey, or listen on localhost.");
        }
    }
}
