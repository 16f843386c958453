using FalEmulator.Api;
using FalEmulator.Faults;
using FalEmulator.Media;
using FalEmulator.Model;
using FalEmulator.Options;
using FalEmulator.Queue;
using FalEmulator.Recording;
using FalEmulator.Webhooks;

namespace FalEmulator;

/// <summary>Builds the emulator's web application; the standalone program and the in-process host share it.</summary>
public static class EmulatorApp
{
    public static WebApplication Build(
        string[] args, Action<FalEmulatorOptions>? configure = null, Action<WebApplicationBuilder>? configureBuilder = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        configureBuilder?.Invoke(builder);

        var options = builder.Services.AddOptions<FalEmulatorOptions>().BindConfiguration(FalEmulatorOptions.SectionName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RequestStore>();
        builder.Services.AddSingleton<CallRecorder>();
        builder.Services.AddSingleton<SubmitRefusals>();
        builder.Services.AddSingleton<InstanceFaults>();
        builder.Services.AddSingleton<HistoryOutage>();
        builder.Services.AddSingleton<ApiKeyCheck>();
        builder.Services.AddSingleton<WebhookSigner>();
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddSingleton<RequestRunner>();
        builder.Services.AddSingleton<SeedanceModel>();
        builder.Services.AddSingleton<InputFetcher>();
        builder.Services.AddSingleton<VideoRenderer>();
        builder.Services.AddHttpClient(InputFetcher.HttpClientName);
        builder.Services.AddHttpClient(WebhookDispatcher.HttpClientName)
            // As fal's: no trace context travels with a webhook (the pipeline must join the job's trace itself).
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                ActivityHeadersPropagator = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator(),
            });

        var app = builder.Build();
        app.UseCallRecording();
        app.MapControlApi();
        app.MapMediaApi();
        app.MapPlatformApi();
        app.MapQueueApi();
        return app;
    }
}
