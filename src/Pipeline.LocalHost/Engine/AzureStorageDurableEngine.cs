using System.Net;
using System.Net.Sockets;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using Pipeline.Core.DependencyInjection;
using Pipeline.Core.Orchestrations;

namespace Pipeline.LocalHost.Engine;

/// <summary>
/// Durable Task's Azure Storage backend (the provider Azure Functions uses by default) on Azurite, behind the public gRPC
/// sidecar of Microsoft.DurableTask.InProcessTestHost; the ordinary worker and client connect to it. Jobs live in the
/// task hub's tables and queues, exactly as in Azure, and survive a restart of this process.
/// </summary>
public static partial class AzureStorageDurableEngine
{
    /// <param name="tasks">What the worker runs (default: the pipeline's orchestrator and activities).</param>
    public static IServiceCollection AddAzureStorageDurableEngine(
        this IServiceCollection services,
        string storageConnectionString,
        LocalHostOptions options,
        Action<DurableTaskRegistry>? tasks = null)
    {
        var address = $"http://localhost:{FreePort()}";
        // A host may bring its own storage clients for the task hub (the benchmark counts their calls); else the connection string's.
        services.AddHostedService(sp => new Sidecar(
            address,
            sp.GetService<StorageAccountClientProvider>() ?? new StorageAccountClientProvider(storageConnectionString),
            options,
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddDurableTaskWorker(builder =>
        {
            builder.UseGrpc(address);
            builder.AddTasks(tasks ?? (registry => registry.AddPipelineTasks()));
            // As host.json asks of Functions: this code runs jobs of its version and older; newer ones wait for newer code.
            builder.UseVersioning(new DurableTaskWorkerOptions.VersioningOptions
            {
                Version = VideoJobOrchestrator.Version,
                DefaultVersion = VideoJobOrchestrator.Version,
                MatchStrategy = DurableTaskWorkerOptions.VersionMatchStrategy.CurrentOrOlder,
                FailureStrategy = DurableTaskWorkerOptions.VersionFailureStrategy.Reject,
            });
        });
        services.AddDurableTaskClient(builder =>
        {
            builder.UseGrpc(address);
            builder.RegisterDirectly();
        });
        return services;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The sidecar: a Kestrel host (HTTP/2, loopback) serving the task hub over gRPC.</summary>
    private sealed partial class Sidecar(
        string address, StorageAccountClientProvider storage, LocalHostOptions options, ILoggerFactory loggerFactory) : IHostedService
    {
        /// <summary>How long the host's stop waits for the backend to let go of its leases and listeners.</summary>
        private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(5);

        private readonly ILogger _logger = loggerFactory.CreateLogger<Sidecar>();
        private IHost? _host;
        private AzureStorageOrchestrationService? _service;
        private RenewingOrchestrationService? _dispatched;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
            {
                TaskHubName = options.TaskHub,
                StorageAccountClientProvider = storage,
                MaxQueuePollingInterval = options.MaxQueuePollingInterval,
                ControlQueueVisibilityTimeout = options.QueueVisibilityTimeout,
                WorkItemQueueVisibilityTimeout = options.QueueVisibilityTimeout,
                LoggerFactory = loggerFactory,
            });
            await Housekeeping.UntilStorageAnswers.RunAsync(
                service.CreateIfNotExistsAsync, "The durable task hub", _logger, cancellationToken);
            _service = service;

            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(address);
            builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http2));
            builder.Services.AddSingleton(loggerFactory);
            builder.Services.AddGrpc();
            // The dispatchers get a service that renews their work items' locks; the client calls go straight through.
            _dispatched = new RenewingOrchestrationService(
                service, options.QueueVisibilityTimeout, loggerFactory.CreateLogger<RenewingOrchestrationService>());
            builder.Services.AddSingleton<IOrchestrationService>(_dispatched);
            builder.Services.AddSingleton<IOrchestrationServiceClient>(service);
            builder.Services.AddSingleton<TaskHubGrpcServer>();
            var app = builder.Build();
            app.MapGrpcService<TaskHubGrpcServer>();
            await app.StartAsync(cancellationToken);
            _host = app;
            LogStarted(options.TaskHub);
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (_host is not null)
            {
                await _host.StopAsync(cancellationToken);
                _host.Dispose();
            }

            // The sidecar stops the backend only once its dispatchers are idle, which never happens while it waits for a
            // work item the stopped worker will not answer; the backend's loops (leases, control-queue listeners) would
            // then go on polling the task hub inside a longer-lived process. The one shared stop makes sure they end.
            if (_dispatched is null)
            {
                return;
            }

            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(StopBound);
            try
            {
                await _dispatched.StopAsync(isForced: true).WaitAsync(bounded.Token);
                _service?.Dispose();
            }
            catch (OperationCanceledException) when (bounded.IsCancellationRequested)
            {
                // Storage that is gone keeps the backend retrying its lease calls; the host's stop does not wait for it
                // (the leases then expire on their own, as a killed process's do).
                LogStopAbandoned(StopBound);
            }
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Durable engine: the backend had not let go of its task hub after {Bound}; "
            + "the host stops without it")]
        private partial void LogStopAbandoned(TimeSpan bound);

        [LoggerMessage(Level = LogLevel.Information, Message = "Durable engine: Azure Storage backend, task hub {TaskHub}")]
        private partial void LogStarted(string taskHub);
    }
}
