using FalEmulator;
using Pipeline.Core.Inbox;

namespace Pipeline.Bench;

/// <summary>One scenario's figures, as printed and saved.</summary>
public sealed record Row(string Scenario, string Measure, string Value, string Target = "");

/// <summary>
/// The pipeline in the local world (production durable backend on Azurite, fal emulator with a fixed generation time,
/// an Event Grid sink), measured per scenario; a subscribe-style polling client runs against the same emulator.
/// </summary>
public sealed partial class Benchmark(BenchOptions options)
{
    private readonly List<Row> _rows = [];

    private readonly List<JobAccount> _accounts = [];

    private readonly List<Row> _fixedCosts = [];

    private readonly ConcurrentDictionary<string, int> _episodes = new();

    private readonly StorageLedger _storage = new();

    private Accountant? _accountant;

    /// <summary>The users' own storage client (uploads of drops): not counted as the pipeline's work.</summary>
    private PipelineStorage? _userStorage;

    public IReadOnlyList<Row> Rows => _rows;

    /// <summary>Per scenario, what its jobs cost (see <see cref="JobAccount"/>).</summary>
    public IReadOnlyList<JobAccount> Accounts => _accounts;

    /// <summary>Work paid by the minute or by the pass rather than by the job: the engine idle, a reconciler pass, a purge pass.</summary>
    public IReadOnlyList<Row> FixedCosts => _fixedCosts;

    public async Task RunAsync()
    {
        await using var sink = await EventSink.StartAsync();
        using var spans = new SpanLedger();
        _spans = spans;
        await RunPipelineAsync(sink, spans);
    }

    private SpanLedger? _spans;

    private async Task RunPipelineAsync(EventSink sink, SpanLedger spans)
    {
        await using var fal = await RemoteFal.StartAsync(options.TimeScale, FreePort());
        var (app, home) = await StartPipelineAsync(sink, fal);
        _userStorage = new PipelineStorage(new BlobServiceClient(app.Configuration[PipelineStorage.ConnectionName]));
        _accountant = new Accountant(
            _storage, spans, id => _episodes.GetValueOrDefault(id), fal.CallsAsync, () => sink.Traffic.Posts, AzuritePid, fal.Pid);
        try
        {
            var client = app.Services.GetRequiredService<DurableTaskClient>();
            await FixedCostsAsync(app, client);
            await WebhookPathAsync(app, fal, sink, client, "webhook path", "");
            await WebhookPathAsync(app, fal, sink, client, "webhooks dropped (poll fallback)", " [emulator: webhook=drop]");
            await PollingClientAsync(fal);
            await DropToSubmitAsync(app, fal, client, baseline: true);
            await DropToSubmitAsync(app, fal, client, baseline: false);
            await SidecarDropsAsync(app, client);
            foreach (var burst in options.Bursts)
            {
                if (burst == options.Bursts[0])
                {
                    await BurstAsync(app, sink, client, burst, baseline: true);
                }

                await BurstAsync(app, sink, client, burst, baseline: false);
            }

            foreach (var megabytes in options.VideoSizesMB)
            {
                await MemoryAsync(app, sink, megabytes);
            }
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            TryDelete(home);
        }

        await EngineHopsAsync();
        await EngineIdleAsync();
        foreach (var burst in options.Bursts)
        {
            await EngineCeilingAsync(burst, spans);
        }
    }

    private static int? AzuritePid => int.TryParse(Environment.GetEnvironmentVariable("AZURITE_PID"), out var pid) ? pid : null;

    private async Task<(WebApplication App, string Home)> StartPipelineAsync(EventSink sink, RemoteFal fal)
    {
        var home = Directory.CreateTempSubdirectory("pipeline-bench-").FullName;
        var port = FreePort();
        string[] args =
        [
            "--LocalHost:Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Pipeline:PublicBaseUrl", $"http://localhost:{port}",
            "--LocalHost:UseEmulator", "false",
            .. PipelineSettings.For(fal.BaseAddress, fal.ApiKey).AsArguments(),
            "--Pipeline:SendInputsAsDataUris", "false",
            "--LocalHost:TaskHub", "bench" + Guid.NewGuid().ToString("N")[..8],
            "--LocalHost:Home", home,
            "--LocalHost:MaxQueuePollingInterval", options.QueuePollingInterval.ToString(),
            "--Pipeline:WebhookWait", "00:00:15", // three times the emulated generation: the webhook path should never need a poll
            "--Pipeline:PollInterval", "00:00:02",
            "--EventGrid:TopicEndpoint", sink.Endpoint.ToString(),
            "--EventGrid:TopicKey", sink.Key,
            "--Logging:LogLevel:Default", "Warning",
        ];
        var (app, _) = await LocalPipelineHost.BuildAsync(args, CountStorageCalls, registry => registry.AddPipelineTasks(CountEpisodes));
        await app.StartAsync();
        return (app, home);
    }

    /// <summary>
    /// The host runs what the Functions app runs per job: the local host's extras go (the container scan, which would
    /// start every dropped blob a second time beside the benchmark's own trigger call; the folder mirrors; the console;
    /// the reconciler and purge loops, measured apart as fixed costs), and every storage client counts its calls.
    /// </summary>
    private void CountStorageCalls(WebApplicationBuilder builder)
    {
        CountEngineCalls(builder.Services, builder.Configuration[PipelineStorage.ConnectionName]!);
        string[] localExtras =
        [
            "InboxContainerTrigger", "InboxFolderMirror", "VideosFolderMirror", "JobProgressReporter", "JobReconcilerLoop", "JobPurgeLoop",
        ];
        var extras = builder.Services
            .Where(d => d.ServiceType == typeof(IHostedService) && localExtras.Contains(d.ImplementationType?.Name))
            .ToList();
        foreach (var extra in extras)
        {
            builder.Services.Remove(extra);
        }

        var connection = builder.Configuration[PipelineStorage.ConnectionName]!;

        builder.Services.AddSingleton(new BlobServiceClient(connection, Counted(new BlobClientOptions(), _storage, "pipeline", "blob")));
        builder.Services.AddSingleton<Pipeline.Core.Batches.BatchLedger, Baseline.BaselineBatchLedger>();
        builder.Services.AddSingleton<VideoStore, Baseline.BaselineVideoStore>();
        builder.Services.AddSingleton<InboxReader, Baseline.BaselineInboxReader>();
    }

    /// <summary>The durable engine's clients, each counting its calls.</summary>
    private void CountEngineCalls(IServiceCollection services, string connection) =>
        services.AddSingleton(new StorageAccountClientProvider(
            StorageServiceClientProvider.ForBlob(connection, Counted(new BlobClientOptions(), _storage, "engine", "blob")),
            StorageServiceClientProvider.ForQueue(
                connection, Counted(new Azure.Storage.Queues.QueueClientOptions(), _storage, "engine", "queue")),
            StorageServiceClientProvider.ForTable(
                connection, Counted(new Azure.Data.Tables.TableClientOptions(), _storage, "engine", "table"))));

    private static T Counted<T>(T clientOptions, StorageLedger ledger, string source, string service) where T : Azure.Core.ClientOptions
    {
        clientOptions.AddPolicy(new StorageCallCounter(ledger, source, service), Azure.Core.HttpPipelinePosition.PerRetry);
        return clientOptions;
    }

    /// <summary>Counts each run of the orchestrator function: one episode per wake-up, replays included.</summary>
    private async Task<VideoJobResult> CountEpisodes(TaskOrchestrationContext context, VideoJob job)
    {
        _episodes.AddOrUpdate(context.InstanceId, 1, (_, n) => n + 1);
        _episodeStarts.GetOrAdd(context.InstanceId, _ => new ConcurrentQueue<DateTimeOffset>()).Enqueue(DateTimeOffset.UtcNow);
        var result = await VideoJobOrchestrator.RunAsync(context, job);
        _finished.TryAdd(context.InstanceId, 0);
        return result;
    }

    /// <summary>When each of a job's episodes began (the wall clock, not the orchestration's).</summary>
    private readonly ConcurrentDictionary<string, ConcurrentQueue<DateTimeOffset>> _episodeStarts = new();

    /// <summary>Jobs whose orchestrator has returned, noted without asking the task hub (which would count as their cost).</summary>
    private readonly ConcurrentDictionary<string, byte> _finished = new();

    /// <summary>Waits until each job's orchestrator has returned, then a second for the engine to commit the last episode.</summary>
    private async Task WaitFinishedAsync(List<string> ids, TimeSpan timeout)
    {
        var until = DateTimeOffset.UtcNow + timeout;
        while (ids.Any(id => !_finished.ContainsKey(id)))
        {
            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException($"{ids.Count(id => !_finished.ContainsKey(id))} of {ids.Count} did not finish");
            }

            await Task.Delay(100);
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
    }

    private static async Task<List<VideoJobResult>> WaitAllAsync(
        DurableTaskClient client, IReadOnlyCollection<string> ids, TimeSpan timeout)
    {
        await WaitAllCompletedAsync(client, ids, timeout);
        var results = new List<VideoJobResult>();
        foreach (var id in ids)
        {
            results.Add((await client.GetInstanceAsync(id, getInputsAndOutputs: true))!.ReadOutputAs<VideoJobResult>()!);
        }

        return results;
    }

    private static async Task WaitAllCompletedAsync(DurableTaskClient client, IReadOnlyCollection<string> ids, TimeSpan timeout)
    {
        var pending = new HashSet<string>(ids);
        var until = DateTimeOffset.UtcNow + timeout;
        while (pending.Count > 0)
        {
            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException($"{pending.Count} of {ids.Count} did not finish");
            }

            foreach (var id in pending.ToList())
            {
                if ((await client.GetInstanceAsync(id))?.IsCompleted == true)
                {
                    pending.Remove(id);
                }
            }

            await Task.Delay(200);
        }
    }

    private static async Task WaitForEventsAsync(EventSink sink, List<string> ids, string type, TimeSpan? timeout = null)
    {
        var until = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (ids.Any(id => sink.ReceivedAt(id, type) is null))
        {
            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException($"{ids.Count(id => sink.ReceivedAt(id, type) is null)} of {ids.Count} {type} events missing");
            }

            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
