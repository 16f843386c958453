using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FalEmulator.Recording;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Activities;
using Pipeline.Core.Api;
using Pipeline.Core.DependencyInjection;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Storage;
using Pipeline.LocalHost;
using Pipeline.LocalHost.Engine;
using Pipeline.Bench.Accounting;
using Azure.Storage.Blobs;
using DurableTask.AzureStorage;

namespace Pipeline.Bench;

/// <summary>One scenario's figures, as printed and saved.</summary>
public sealed record Row(string Scenario, string Measure, string Value, string Target = "");

/// <summary>
/// The pipeline in the local world (production durable backend on Azurite, fal emulator with a fixed generation time,
/// an Event Grid sink), measured per scenario; a subscribe-style polling client runs against the same emulator.
/// </summary>
public sealed class Benchmark(BenchOptions options)
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
    private double? _webhookToStoreP95;

    /// <summary>When the webhook path's raises returned, from the first: the engine alone is raised on the same pattern.</summary>
    private List<TimeSpan> _webhookOffsets = [TimeSpan.Zero];

    private async Task RunPipelineAsync(EventSink sink, SpanLedger spans)
    {
        await using var fal = await RemoteFal.StartAsync(options.TimeScale, FreePort());
        var (app, home) = await StartPipelineAsync(sink, fal);
        _userStorage = new PipelineStorage(new BlobServiceClient(app.Configuration[PipelineStorage.ConnectionName]));
        _accountant = new Accountant(_storage, spans, id => _episodes.GetValueOrDefault(id), fal.CallsAsync, () => sink.Traffic.Posts, AzuritePid, fal.Pid);
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
            "--Fal:BaseUrl", fal.BaseAddress.ToString(),
            "--FAL_KEY", fal.ApiKey,
            "--FalWebhook:JwksUrl", fal.JwksUrl,
            "--Pipeline:MediaHosts:0", fal.BaseAddress.Host,
            "--Pipeline:AllowHttpDownloads", "true",
            "--Pipeline:SendInputsAsDataUris", "false",
            "--LocalHost:TaskHub", "bench" + Guid.NewGuid().ToString("N")[..8],
            "--LocalHost:Home", home,
            "--LocalHost:MaxQueuePollingInterval", options.QueuePollingInterval.ToString(),
            "--Pipeline:WebhookWait", "00:00:15", // three times the emulated generation: the webhook path should never need a poll
            "--Pipeline:PollInterval", "00:00:02",
            "--EventGrid:TopicEndpoint", sink.Endpoint.ToString(),
            "--EventGrid:TopicKey", "bench",
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
        string[] localExtras = ["InboxContainerTrigger", "InboxFolderMirror", "VideosFolderMirror", "JobProgressReporter", "JobReconcilerLoop", "JobPurgeLoop"];
        foreach (var extra in builder.Services.Where(d => d.ServiceType == typeof(IHostedService) && localExtras.Contains(d.ImplementationType?.Name)).ToList())
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
            StorageServiceClientProvider.ForQueue(connection, Counted(new Azure.Storage.Queues.QueueClientOptions(), _storage, "engine", "queue")),
            StorageServiceClientProvider.ForTable(connection, Counted(new Azure.Data.Tables.TableClientOptions(), _storage, "engine", "table"))));

    private static T Counted<T>(T clientOptions, StorageLedger ledger, string source, string service) where T : Azure.Core.ClientOptions
    {
        clientOptions.AddPolicy(new StorageCallCounter(ledger, source, service), Azure.Core.HttpPipelinePosition.PerRetry);
        return clientOptions;
    }

    /// <summary>
    /// What is paid by the pass rather than by the job: one reconciler pass and one purge pass over the task hub as it
    /// is (empty dequeues apart; the idle engine is measured on its own, <see cref="EngineIdleAsync"/>).
    /// </summary>
    private async Task FixedCostsAsync(WebApplication app, DurableTaskClient client)
    {
        await Task.Delay(TimeSpan.FromSeconds(3)); // past the start's own calls
        var before = _storage.Snapshot();
        await app.Services.GetRequiredService<Pipeline.Core.Housekeeping.JobReconciler>().RunAsync(client, CancellationToken.None);
        var reconcile = WithoutPolls(StorageLedger.Since(before, _storage.Snapshot()));
        _fixedCosts.Add(new Row("reconciler pass", "storage transactions", $"{reconcile.Values.Sum()} ({Describe(reconcile)})", "every minute in Azure"));

        before = _storage.Snapshot();
        await app.Services.GetRequiredService<Pipeline.Core.Housekeeping.JobPurger>().RunAsync(client, CancellationToken.None);
        var purge = WithoutPolls(StorageLedger.Since(before, _storage.Snapshot()));
        _fixedCosts.Add(new Row("purge pass", "storage transactions", $"{purge.Values.Sum()} ({Describe(purge)})", "every hour in Azure"));
    }

    /// <summary>
    /// The engine idle for a minute with host.json's queue polling (what an instance that is up and has no work pays):
    /// its empty dequeues back off to that interval, and it renews its partitions' leases.
    /// </summary>
    private async Task EngineIdleAsync()
    {
        var polling = HostJsonPolling();
        await using var app = await StartEngineAloneAsync(polling, _ => { });
        await Task.Delay(TimeSpan.FromSeconds(15)); // the start's own calls, and the back-off reaching its ceiling
        var before = _storage.Snapshot();
        await Task.Delay(TimeSpan.FromMinutes(1));
        var idle = StorageLedger.Since(before, _storage.Snapshot());
        await app.StopAsync();
        _fixedCosts.Add(new Row("engine idle, one instance", "storage transactions per minute", $"{idle.Values.Sum()} ({Describe(idle)})",
            $"host.json's maxQueuePollingInterval, {polling.TotalSeconds:F0} s"));
        _idlePerMinute = idle;
    }

    private Dictionary<StorageCall, long>? _idlePerMinute;

    /// <summary>Work per minute of an idle instance (for the cost model).</summary>
    public IReadOnlyDictionary<StorageCall, long> IdlePerMinute => _idlePerMinute ?? [];

    private static TimeSpan HostJsonPolling()
    {
        var hostJson = JsonNode.Parse(File.ReadAllText("host.json"));
        return TimeSpan.Parse(hostJson!["extensions"]!["durableTask"]!["storageProvider"]!["maxQueuePollingInterval"]!.GetValue<string>(),
            System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The durable engine alone on the same backend, its calls counted, running <paramref name="tasks"/>.</summary>
    private async Task<WebApplication> StartEngineAloneAsync(TimeSpan polling, Action<Microsoft.DurableTask.DurableTaskRegistry> tasks)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var o = new LocalHostOptions { TaskHub = "ceiling" + Guid.NewGuid().ToString("N")[..8], MaxQueuePollingInterval = polling };
        var connection = Environment.GetEnvironmentVariable("PipelineStorage") ?? "UseDevelopmentStorage=true";
        CountEngineCalls(builder.Services, connection);
        builder.Services.AddAzureStorageDurableEngine(connection, o, tasks);
        var app = builder.Build();
        await app.StartAsync();
        return app;
    }

    private static Dictionary<StorageCall, long> WithoutPolls(Dictionary<StorageCall, long> calls) =>
        calls.Where(c => !JobAccount.IsPoll(c.Key)).ToDictionary(c => c.Key, c => c.Value);

    private static string Describe(Dictionary<StorageCall, long> calls) =>
        string.Join(", ", calls.GroupBy(c => $"{c.Key.Source} {c.Key.Service}").Select(g => $"{g.Key} {g.Sum(c => c.Value)}"));

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

    private async Task WebhookPathAsync(WebApplication app, RemoteFal fal, EventSink sink, DurableTaskClient client, string scenario, string marker)
    {
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)) };
        var ids = new List<string>();
        var mark = await _accountant!.BeginAsync();
        for (var i = 0; i < options.Jobs; i++)
        {
            using var response = await http.PostAsJsonAsync("/api/videos/text-to-video", new { prompt = $"A lighthouse at dusk{marker}", resolution = "480p", duration = "4" });
            ids.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.ToString());
        }

        await WaitFinishedAsync(ids, TimeSpan.FromMinutes(5));
        await WaitForEventsAsync(sink, ids, JobEventTypes.Succeeded);
        _accounts.Add(await _accountant.EndAsync(mark, scenario, ids));
        var results = await WaitAllAsync(client, ids, TimeSpan.FromMinutes(5));
        var requests = await fal.RequestsAsync();
        var recorded = (await fal.CallsAsync()).Where(c => c.RequestId is not null).ToLookup(c => c.RequestId!);
        var toStored = new List<TimeSpan>();
        var toEvent = new List<TimeSpan>();
        var (toWebhook, webhookToStore, storing) = (new List<TimeSpan>(), new List<TimeSpan>(), new List<TimeSpan>());
        var (toEpisode, episodeToStore) = (new List<TimeSpan>(), new List<TimeSpan>());
        var calls = new Dictionary<CallKind, int>();
        foreach (var result in results)
        {
            var falDone = requests[result.FalRequestId!].CompletedAt!.Value;
            if (_spans!.First(result.Id, "fal.webhook") is { } webhook && _spans.First(result.Id, "activity:" + StoreVideoActivity.Name) is { } store)
            {
                toWebhook.Add(webhook.Start - falDone);
                webhookToStore.Add(store.Start - (webhook.Start + webhook.Duration));
                storing.Add(store.Duration);
                // The episode that took the webhook's event: the last to begin before the store step did.
                if (_episodeStarts.TryGetValue(result.Id, out var starts) && starts.Where(t => t <= store.Start).DefaultIfEmpty().Max() is var episode && episode != default)
                {
                    toEpisode.Add(episode - (webhook.Start + webhook.Duration));
                    episodeToStore.Add(store.Start - episode);
                }
            }

            // The store activity stamps finished_at the moment the blob is committed (and then publishes).
            toStored.Add((sink.FinishedAt(result.Id, JobEventTypes.Succeeded) ?? result.FinishedAt) - falDone);
            if (sink.ReceivedAt(result.Id, JobEventTypes.Succeeded) is { } received)
            {
                toEvent.Add(received - falDone);
            }

            foreach (var call in recorded[result.FalRequestId!].Where(c => c.Kind is CallKind.Submit or CallKind.Status or CallKind.Result or CallKind.Cancel))
            {
                calls[call.Kind] = calls.GetValueOrDefault(call.Kind) + 1;
            }
        }

        var perVideo = string.Join(", ", new[] { CallKind.Submit, CallKind.Status, CallKind.Result, CallKind.Cancel }
            .Select(k => $"{k.ToString().ToLowerInvariant()} {(double)calls.GetValueOrDefault(k) / results.Count:F2}"));
        var total = (double)calls.Values.Sum() / results.Count;
        _rows.Add(new Row(scenario, "jobs succeeded", $"{results.Count(r => r.Outcome == JobOutcome.Succeeded)} of {ids.Count}"));
        _rows.Add(new Row(scenario, "fal calls per video", $"{total:F2} ({perVideo})", marker.Length == 0 ? "≤ 2 (1 is the minimum)" : "bounded, reported"));
        _rows.Add(new Row(scenario, "fal finished → video stored", Stats.Of(toStored).ToString(), marker.Length == 0 ? "p95 < 1 s above the copy" : ""));
        _rows.Add(new Row(scenario, "fal finished → event received", Stats.Of(toEvent).ToString()));
        if (toWebhook.Count > 0)
        {
            _rows.Add(new Row(scenario, "… fal finished → webhook received", Stats.Of(toWebhook).ToString(), "fal's (the emulator's) delivery"));
            _rows.Add(new Row(scenario, "… webhook answered → store step started", Stats.Of(webhookToStore).ToString(), "two engine hops (see engine alone)"));
            _rows.Add(new Row(scenario, "… … webhook answered → its episode began", Stats.Of(toEpisode).ToString(), "hop 1: the event through a control queue"));
            _rows.Add(new Row(scenario, "… … episode began → store step started", Stats.Of(episodeToStore).ToString(), "hop 2: the episode, then the work item"));
            _webhookToStoreP95 = Stats.Of(webhookToStore).P95;
            var arrivals = results.Select(r => _spans!.First(r.Id, "fal.webhook")).OfType<(DateTimeOffset Start, TimeSpan Duration)>()
                .Select(w => w.Start + w.Duration).Order().ToList();
            _webhookOffsets = [.. arrivals.Select(a => a - arrivals[0])];
            _rows.Add(new Row(scenario, "… store step (copy, settle, publish)", Stats.Of(storing).ToString()));
        }

        _rows.Add(new Row(scenario, "orchestrator episodes per job", $"{ids.Average(id => _episodes.GetValueOrDefault(id)):F1}"));
    }

    /// <summary>What fal's own client does (<c>subscribe</c>): submit, then ask for the status every 500 ms until done, then the result.</summary>
    private async Task PollingClientAsync(RemoteFal fal)
    {
        using var http = new HttpClient { BaseAddress = fal.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Key", fal.ApiKey);
        var ids = new ConcurrentBag<string>();
        var inHand = new ConcurrentDictionary<string, DateTimeOffset>();
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Jobs), new ParallelOptions { MaxDegreeOfParallelism = options.Jobs }, async (i, ct) =>
        {
            using var submit = await http.PostAsJsonAsync("/bytedance/seedance-2.0/fast/text-to-video", new { prompt = "A lighthouse at dusk", resolution = "480p", duration = "4" }, ct);
            var queued = (await submit.Content.ReadFromJsonAsync<JsonObject>(ct))!;
            ids.Add(queued["request_id"]!.ToString());
            while (true)
            {
                await Task.Delay(500, ct);
                var status = (await http.GetFromJsonAsync<JsonObject>(queued["status_url"]!.ToString() + "?logs=1", ct))!;
                if (status["status"]!.ToString() == "COMPLETED")
                {
                    break;
                }
            }

            await http.GetFromJsonAsync<JsonObject>(queued["response_url"]!.ToString(), ct);
            inHand[queued["request_id"]!.ToString()] = DateTimeOffset.UtcNow;
        });

        var requests = await fal.RequestsAsync();
        var latency = inHand.Select(r => r.Value - requests[r.Key].CompletedAt!.Value);
        var asked = ids.ToHashSet();
        var calls = (await fal.CallsAsync()).Where(c => c.RequestId is not null && asked.Contains(c.RequestId)).GroupBy(c => c.Kind).ToDictionary(g => g.Key, g => g.Count());
        var total = (double)calls.Where(c => c.Key is CallKind.Submit or CallKind.Status or CallKind.Result).Sum(c => c.Value) / ids.Count;
        _rows.Add(new Row("polling client (fal subscribe, 500 ms)", "fal calls per video",
            $"{total:F2} (submit {(double)calls.GetValueOrDefault(CallKind.Submit) / ids.Count:F2}, status {(double)calls.GetValueOrDefault(CallKind.Status) / ids.Count:F2}, result {(double)calls.GetValueOrDefault(CallKind.Result) / ids.Count:F2})", "baseline"));
        _rows.Add(new Row("polling client (fal subscribe, 500 ms)", "fal finished → result in hand", Stats.Of(latency).ToString(), "baseline (stores nothing)"));
    }

    /// <summary>
    /// Images dropped without a sidecar or a prompt (the default prompt), with the sidecar grace at its default (5 s), in
    /// a folder without sidecars: from the drop (the blob trigger's call) to fal's queue accepting the submit.
    /// </summary>
    /// <param name="baseline">Run as before #20's cuts (<see cref="Baseline.BeforeCuts"/>).</param>
    private async Task DropToSubmitAsync(WebApplication app, RemoteFal fal, DurableTaskClient client, bool baseline)
    {
        var scenario = "inbox image without a sidecar" + (baseline ? BeforeCuts : "");
        Baseline.BeforeCuts.On = baseline;
        var starter = app.Services.GetRequiredService<InboxJobStarter>();
        var image = BinaryData.FromBytes(await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "bench-image.jpg")));
        var folder = $"plain-{Guid.NewGuid():N}"[..14];
        var dropped = new ConcurrentDictionary<string, DateTimeOffset>();
        var mark = await _accountant!.BeginAsync();
        for (var i = 0; i < options.Jobs; i++)
        {
            var name = $"{folder}/img-{i:D3}.jpg";
            await _userStorage!.Inbox.GetBlobClient(name).UploadAsync(image);
            var at = DateTimeOffset.UtcNow;
            if (await starter.StartAsync(client, PipelineStorage.InboxContainerName, name, CancellationToken.None) is { } id)
            {
                dropped[id] = at;
            }
        }

        await WaitFinishedAsync([.. dropped.Keys], TimeSpan.FromMinutes(5));
        _accounts.Add(await _accountant.EndAsync(mark, scenario, [.. dropped.Keys]));
        Baseline.BeforeCuts.On = false;
        var results = await WaitAllAsync(client, [.. dropped.Keys], TimeSpan.FromMinutes(5));
        var requests = await fal.RequestsAsync();
        var latency = results.Select(r => requests[r.FalRequestId!].SubmittedAt - dropped[r.Id]).ToList();
        _rows.Add(new Row(scenario, "drop → submitted at fal", Stats.Of(latency).ToString(), baseline ? "" : "p95 < 1 s"));
    }

    /// <summary>
    /// Images dropped with a sidecar (<c>name.json</c>, uploaded first, as the inbox asks), each blob started by its own
    /// trigger call as Event Grid would: a job per image, and the sidecar's own start, which settles as the image's.
    /// </summary>
    private async Task SidecarDropsAsync(WebApplication app, DurableTaskClient client)
    {
        var starter = app.Services.GetRequiredService<InboxJobStarter>();
        var image = BinaryData.FromBytes(await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "bench-image.jpg")));
        var folder = $"sidecar-{Guid.NewGuid():N}"[..16];
        var images = new List<string>();
        var sidecars = new List<string>();
        var mark = await _accountant!.BeginAsync();
        for (var i = 0; i < options.Jobs; i++)
        {
            var sidecar = $"{folder}/img-{i:D3}.json";
            var name = $"{folder}/img-{i:D3}.jpg";
            await _userStorage!.Inbox.GetBlobClient(sidecar).UploadAsync(BinaryData.FromString("""{"prompt":"A slow pan across the scene","resolution":"480p","duration":"4"}"""));
            if (await starter.StartAsync(client, PipelineStorage.InboxContainerName, sidecar, CancellationToken.None) is { } sidecarJob)
            {
                sidecars.Add(sidecarJob);
            }

            await _userStorage.Inbox.GetBlobClient(name).UploadAsync(image);
            if (await starter.StartAsync(client, PipelineStorage.InboxContainerName, name, CancellationToken.None) is { } id)
            {
                images.Add(id);
            }
        }

        await WaitFinishedAsync([.. images, .. sidecars], TimeSpan.FromMinutes(5));
        _accounts.Add(await _accountant.EndAsync(mark, "inbox image with a sidecar", [.. images, .. sidecars], images.Count));
        var results = await WaitAllAsync(client, images, TimeSpan.FromMinutes(5));
        _rows.Add(new Row("inbox image with a sidecar", "jobs succeeded", $"{results.Count(r => r.Outcome == JobOutcome.Succeeded)} of {images.Count} (and {sidecars.Count} sidecar starts)"));
    }

    private const string BeforeCuts = " (before #20's cuts)";

    /// <summary>
    /// The images are uploaded first (the users' work, which in Azure is their load on the account, not the app's),
    /// then every drop is started as Event Grid would deliver them, 16 at a time; the clock runs from the first start to
    /// the last job's event.
    /// </summary>
    private async Task BurstAsync(WebApplication app, EventSink sink, DurableTaskClient client, int count, bool baseline)
    {
        var scenario = $"burst of {count} drops" + (baseline ? BeforeCuts : "");
        var starter = app.Services.GetRequiredService<InboxJobStarter>();
        var image = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "bench-image.jpg"));

        // No emulated generation time: the burst measures the pipeline's capacity, not fal's (which overlaps anyway).
        var metadata = new Dictionary<string, string> { ["prompt"] = "A slow pan across the scene [emulator: queue=0s, run=0s]" };
        var folder = $"burst{count}-{Guid.NewGuid():N}"[..16];
        var names = Enumerable.Range(0, count).Select(i => $"{folder}/img-{i:D4}.jpg").ToList();
        var uploading = Stopwatch.StartNew();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (name, ct) =>
            await _userStorage!.Inbox.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(image), new Azure.Storage.Blobs.Models.BlobUploadOptions { Metadata = metadata }, ct));
        var uploaded = uploading.Elapsed;

        Baseline.BeforeCuts.On = baseline;
        var ids = new ConcurrentBag<string>();
        var mark = await _accountant!.BeginAsync();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (name, ct) =>
        {
            if (await starter.StartAsync(client, PipelineStorage.InboxContainerName, name, ct) is { } id)
            {
                ids.Add(id);
            }
        });
        var scheduled = clock.Elapsed;
        await WaitForEventsAsync(sink, [.. ids], JobEventTypes.Succeeded, TimeSpan.FromMinutes(10));
        var wall = clock.Elapsed;
        await WaitFinishedAsync([.. ids], TimeSpan.FromMinutes(5));
        _accounts.Add(await _accountant.EndAsync(mark, scenario, [.. ids]));
        Baseline.BeforeCuts.On = false;
        _rows.Add(new Row(scenario, "wall time (first start → last event)",
            $"{wall.TotalSeconds:F1} s (starting them took {scheduled.TotalSeconds:F1} s; uploading the images before, {uploaded.TotalSeconds:F1} s)"));
        _rows.Add(new Row(scenario, "throughput", $"{count / wall.TotalSeconds:F1} jobs/s", baseline ? "" : "≥ 80 % of the engine's ceiling"));
        if (!baseline)
        {
            _throughput[count] = count / wall.TotalSeconds;
        }
        else
        {
            _baselineThroughput[count] = count / wall.TotalSeconds;
        }
    }

    private readonly Dictionary<int, double> _baselineThroughput = [];

    private static double AllCpu(JobAccount a) =>
        (a.ProcessCpu + (a.AzuriteCpu ?? TimeSpan.Zero) + (a.FalCpu ?? TimeSpan.Zero)).TotalMilliseconds / a.Jobs;

    /// <summary>
    /// Two hops of the engine alone, as the webhook path makes them: as many orchestrations as the webhook scenario,
    /// each waiting for an external event, are raised on the pattern the webhooks arrived in; from each raise's return
    /// to its next activity starting is two hops (the event to an episode, the episode's work item to the activity).
    /// </summary>
    private async Task EngineHopsAsync()
    {
        var waiting = new ConcurrentDictionary<string, byte>();
        var started = new ConcurrentDictionary<string, DateTimeOffset>();
        await using var app = await StartEngineAloneAsync(options.QueuePollingInterval, registry =>
        {
            registry.AddOrchestratorFunc<string, string>("Hops", async (context, input) =>
            {
                await context.CallActivityAsync<string>("Ready", context.InstanceId);
                var signal = await context.WaitForExternalEvent<string>("go");
                return await context.CallActivityAsync<string>("Next", signal + input);
            });
            registry.AddActivityFunc<string, string>("Ready", (activity, id) =>
            {
                waiting.TryAdd(id, 0);
                return id;
            });
            registry.AddActivityFunc<string, string>("Next", (activity, input) =>
            {
                started.TryAdd(activity.InstanceId, DateTimeOffset.UtcNow);
                return input;
            });
        });
        var client = app.Services.GetRequiredService<DurableTaskClient>();
        var ids = new List<string>();
        for (var i = 0; i < options.Jobs; i++)
        {
            ids.Add(await client.ScheduleNewOrchestrationInstanceAsync("Hops", $"{i}"));
        }

        while (waiting.Count < ids.Count)
        {
            await Task.Delay(50);
        }

        await Task.Delay(TimeSpan.FromSeconds(5)); // every orchestration at its wait, every partition's lease taken
        var raised = new ConcurrentDictionary<string, DateTimeOffset>();
        await Parallel.ForEachAsync(ids.Select((id, i) => (id, i)), new ParallelOptions { MaxDegreeOfParallelism = ids.Count }, async (item, ct) =>
        {
            var id = item.id;
            await Task.Delay(_webhookOffsets[item.i % _webhookOffsets.Count], ct);
            await client.RaiseEventAsync(id, "go", "x", ct);
            raised[id] = DateTimeOffset.UtcNow; // as the webhook's span ends once its raise has returned
        });
        var until = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1);
        while (started.Count < ids.Count && DateTimeOffset.UtcNow < until)
        {
            await Task.Delay(50);
        }

        await app.StopAsync();
        var hops = Stats.Of(started.Select(s => s.Value - raised[s.Key]));
        _rows.Add(new Row($"engine alone, {ids.Count} events raised as the webhooks came", "event raised → next activity started (two hops)", hops.ToString()));
        if (_webhookToStoreP95 is { } pipeline)
        {
            _rows.Add(new Row("webhook path", "webhook answered → store started, p95, against the engine's two hops", $"{pipeline:F0} ms against {hops.P95:F0} ms",
                "within two engine hops"));
        }
    }

    private readonly Dictionary<int, double> _throughput = [];

    /// <summary>
    /// The durable engine alone on the same backend, running the shape of a video job with no work in it: an activity
    /// (submit) that has an external event raised (the webhook), then a second activity (store). 4 episodes and 2
    /// activities, as a job of the pipeline; what the pipeline adds beyond that is its own I/O.
    /// </summary>
    private async Task EngineCeilingAsync(int count, SpanLedger spans)
    {
        DurableTaskClient? eventRaiser = null;
        var episodes = new ConcurrentDictionary<string, int>();
        var done = new ConcurrentDictionary<string, byte>();
        await using var app = await StartEngineAloneAsync(options.QueuePollingInterval, registry =>
        {
            registry.AddOrchestratorFunc<string, string>("Ceiling", async (context, input) =>
            {
                episodes.AddOrUpdate(context.InstanceId, 1, (_, n) => n + 1);
                await context.CallActivityAsync<string>("Submit", context.InstanceId);
                var signal = await context.WaitForExternalEvent<string>("go");
                return await context.CallActivityAsync<string>("Echo", signal + input);
            });
            registry.AddActivityFunc<string, string>("Submit", (activity, instanceId) =>
            {
                // As fal's webhook would: the event comes from outside, after the activity has answered.
                _ = Task.Run(() => eventRaiser!.RaiseEventAsync(instanceId, "go", "x"));
                return instanceId;
            });
            // The job's last activity (the store, which publishes the job's event): where the burst's clock stops too.
            registry.AddActivityFunc<string, string>("Echo", (activity, input) =>
            {
                done.TryAdd(activity.InstanceId, 0);
                return input;
            });
        });
        var client = app.Services.GetRequiredService<DurableTaskClient>();
        eventRaiser = client;
        var accountant = new Accountant(_storage, spans, id => episodes.GetValueOrDefault(id), () => Task.FromResult<IReadOnlyList<RecordedCall>>([]), () => 0, AzuritePid, null);
        var mark = await accountant.BeginAsync();
        var clock = Stopwatch.StartNew();
        var ids = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            ids.Add(await client.ScheduleNewOrchestrationInstanceAsync("Ceiling", $"{i}", ct));
        });

        // Waits without asking the task hub (the engine would pay for the asking), as the burst waits for its events.
        var until = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(10);
        while (done.Count < count && DateTimeOffset.UtcNow < until)
        {
            await Task.Delay(50);
        }

        var rate = count / clock.Elapsed.TotalSeconds;
        await WaitAllCompletedAsync(client, [.. ids], TimeSpan.FromMinutes(2));
        _accounts.Add(await accountant.EndAsync(mark, $"engine alone, {count}", [.. ids]));
        await app.StopAsync();
        _rows.Add(new Row($"engine alone, {count} orchestrations", "throughput (a job's shape: 2 activities, 1 event)", $"{rate:F1} orchestrations/s"));
        if (_baselineThroughput.TryGetValue(count, out var before))
        {
            _rows.Add(new Row($"burst of {count} drops{BeforeCuts}", "share of the engine's ceiling", $"{100 * before / rate:F0} %"));
        }

        if (_throughput.TryGetValue(count, out var pipeline))
        {
            _rows.Add(new Row($"burst of {count} drops", "share of the engine's ceiling", $"{100 * pipeline / rate:F0} %", "≥ 80 %"));
        }

        // What bounds the share on this machine: every process's CPU time per job, the burst's against the engine's.
        if (_accounts.FirstOrDefault(a => a.Scenario == $"burst of {count} drops") is { } burst && _accounts[^1] is { } engine)
        {
            var (burstCpu, engineCpu) = (AllCpu(burst), AllCpu(engine));
            _rows.Add(new Row($"burst of {count} drops", "CPU per job, all processes, against the engine alone's",
                $"{burstCpu:F0} ms against {engineCpu:F0} ms: {100 * engineCpu / burstCpu:F0} % if the {Environment.ProcessorCount} cores bound both"));
        }
    }

    private async Task MemoryAsync(WebApplication app, EventSink sink, int megabytes)
    {
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)) };
        var client = app.Services.GetRequiredService<DurableTaskClient>();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        await Task.Delay(1000);
        var idle = Sample();
        using var response = await http.PostAsJsonAsync("/api/videos/text-to-video", new { prompt = $"large [emulator: file_bytes={megabytes}MB]", resolution = "480p", duration = "4" });
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.ToString();
        long peak = idle;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                peak = Math.Max(peak, Sample());
                await Task.Delay(20);
            }
        });
        var result = (await WaitAllAsync(client, [id], TimeSpan.FromMinutes(10))).Single();
        await done.CancelAsync();
        await sampler;
        var scenario = $"storing a {megabytes} MB video";
        _rows.Add(new Row(scenario, "stored", result.Video is { } v ? $"{v.SizeBytes / (1024.0 * 1024):F0} MB" : $"failed: {result.Error?.Message}"));
        _rows.Add(new Row(scenario, "peak working set above idle", $"{(peak - idle) / (1024.0 * 1024):F1} MB (idle {idle / (1024.0 * 1024):F0} MB)", "< 64 MB"));
        await app.Services.GetRequiredService<PipelineStorage>().Videos.GetBlobClient(result.Video?.Blob["videos/".Length..] ?? "none").DeleteIfExistsAsync();

        static long Sample()
        {
            using var process = Process.GetCurrentProcess();
            return process.WorkingSet64;
        }
    }

    private static async Task<List<VideoJobResult>> WaitAllAsync(DurableTaskClient client, IReadOnlyCollection<string> ids, TimeSpan timeout)
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
