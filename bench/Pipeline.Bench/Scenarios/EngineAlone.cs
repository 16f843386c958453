namespace Pipeline.Bench;

/// <summary>The durable engine alone on the same backend: its two hops, its ceiling, and its idle cost.</summary>
public sealed partial class Benchmark
{
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
        var all = new ParallelOptions { MaxDegreeOfParallelism = ids.Count };
        await Parallel.ForEachAsync(ids.Select((id, i) => (id, i)), all, async (item, ct) =>
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
        _rows.Add(new Row(
            $"engine alone, {ids.Count} events raised as the webhooks came", "event raised → next activity started (two hops)",
            hops.ToString()));
        if (_webhookToStoreP95 is { } pipeline)
        {
            _rows.Add(new Row(
                "webhook path", "webhook answered → store started, p95, against the engine's two hops",
                $"{pipeline:F0} ms against {hops.P95:F0} ms", "within two engine hops"));
        }
    }

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
        var accountant = new Accountant(
            _storage, spans, id => episodes.GetValueOrDefault(id), () => Task.FromResult<IReadOnlyList<RecordedCall>>([]), () => 0,
            AzuritePid, null);
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
        _rows.Add(new Row(
            $"engine alone, {count} orchestrations", "throughput (a job's shape: 2 activities, 1 event)", $"{rate:F1} orchestrations/s"));
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
                $"{burstCpu:F0} ms against {engineCpu:F0} ms: "
                + $"{100 * engineCpu / burstCpu:F0} % if the {Environment.ProcessorCount} cores bound both"));
        }
    }
}
