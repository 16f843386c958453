using Microsoft.DurableTask;
using Pipeline.Core.Api;
using Pipeline.Core.DependencyInjection;
using Pipeline.Core.Storage;
using Pipeline.LocalHost.Console;
using Pipeline.LocalHost.Engine;
using Pipeline.LocalHost.Folders;
using Pipeline.LocalHost.Housekeeping;

namespace Pipeline.LocalHost.Startup;

/// <summary>
/// What runs in the local host, in the order it starts: the pipeline's core on the Azure Storage durable engine, the
/// storage containers, the folder mirrors and the container scan, the console's job lines, the housekeeping loops,
/// problem answers and telemetry. The submit gate is added after them all, by <see cref="LocalPipelineHost.BuildAsync"/>.
/// </summary>
internal static class LocalHostServices
{
    public static WebApplicationBuilder AddLocalHostServices(
        this WebApplicationBuilder builder, LocalHostOptions options, Action<DurableTaskRegistry>? tasks)
    {
        var services = builder.Services;
        services.AddVideoPipeline();
        services.AddAzureStorageDurableEngine(builder.Configuration[PipelineStorage.ConnectionName]!, options, tasks);
        services.AddHostedService<LocalPipelineHost.StorageContainers>();
        services.AddHostedService<InboxFolderMirror>();
        services.AddHostedService<InboxContainerTrigger>();
        services.AddHostedService<VideosFolderMirror>();
        services.AddSingleton<JobWatchList>();
        services.AddTransient<JobScheduler, WatchedJobScheduler>();
        services.AddHostedService<JobProgressReporter>();
        services.AddHostedService<JobReconcilerLoop>();
        services.AddHostedService<JobPurgeLoop>();
        services.AddHostedService<EventOutboxLoop>();
        services.AddProblemDetails();
        services.AddLocalHostTelemetry(options.Telemetry);
        return builder;
    }
}
