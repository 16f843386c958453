using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using System.Diagnostics;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;
using Pipeline.LocalHost;
using Pipeline.LocalHost.Engine;

namespace Pipeline.IntegrationTests.LocalHost;

/// <summary>
/// A stopped local engine stops using its task hub, and stopping it never ends the process. The sidecar stops the backend
/// only once its dispatchers are idle, so an activity still running when the host stops kept the backend polling; the
/// host's own forced stop, raced against the sidecar's, threw inside the backend from a fire-and-forget callback and ended
/// a one-shot run with exit code 134.
/// </summary>
public sealed class EngineShutdownTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AStoppedEngine_NoLongerPollsItsQueues()
    {
        var engine = await StartEngineAsync(_ => Task.FromResult("done"));
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync("Shutdown.Job", "x", Token);
        await engine.Client.WaitForInstanceCompletionAsync(id, Token);

        await AssertStopsPollingAsync(engine);
    }

    [Fact]
    public async Task AnEngineStoppedWhileAnActivityRuns_NoLongerPollsItsQueues()
    {
        var started = new TaskCompletionSource();
        var release = new TaskCompletionSource<string>();
        var engine = await StartEngineAsync(_ =>
        {
            started.TrySetResult();
            return release.Task;
        });
        await engine.Client.ScheduleNewOrchestrationInstanceAsync("Shutdown.Job", "x", Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), Token);

        try
        {
            await AssertStopsPollingAsync(engine);
        }
        finally
        {
            release.TrySetResult("late");
        }
    }

    [Fact]
    public async Task AHostWhoseStorageIsGone_StopsWithoutWaitingForTheBackend()
    {
        var host = await LocalHostInProcess.StartAsync();
        await host.Azurite.DisposeAsync(); // the backend can no longer release its leases

        var stopping = Stopwatch.StartNew();
        await host.DisposeAsync(); // a throw here is what the first version of the explicit stop did

        Assert.InRange(stopping.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(15)); // the 5 s bound, not the host's 30 s
        Assert.Contains(host.Logs.Lines, line => line.Contains("had not let go of its task hub", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheBackend_IsStoppedOnce_HoweverManyAskAtTheSameTime()
    {
        var calls = 0;
        var inner = new Mock<IOrchestrationService>();
        inner.Setup(s => s.StopAsync(It.IsAny<bool>())).Returns(async () =>
        {
            Interlocked.Increment(ref calls);
            await Task.Delay(200);
            throw new InvalidOperationException("a second stop inside the lease manager");
        });
        var service = new RenewingOrchestrationService(inner.Object, TimeSpan.FromSeconds(30), NullLogger.Instance);

        var stops = Enumerable.Range(0, 8)
            .Select(i => Task.Run(() => i % 2 == 0 ? service.StopAsync() : service.StopAsync(isForced: true)));
        await Task.WhenAll(stops); // none throws: a throw in the sidecar's stopping callback would end the process

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task TheBackend_IsNotStartedOnceStopping_AndAStopWaitsForAStartUnderWay()
    {
        var order = new List<string>();
        var starting = new TaskCompletionSource();
        var inner = new Mock<IOrchestrationService>();
        inner.Setup(s => s.StartAsync()).Returns(async () =>
        {
            await starting.Task;
            lock (order) order.Add("started");
        });
        inner.Setup(s => s.StopAsync(It.IsAny<bool>())).Returns(() =>
        {
            lock (order) order.Add("stopped");
            return Task.CompletedTask;
        });
        var service = new RenewingOrchestrationService(inner.Object, TimeSpan.FromSeconds(30), NullLogger.Instance);

        var start = service.StartAsync();
        var stop = service.StopAsync(isForced: true);
        await Task.Delay(100, Token);
        Assert.False(stop.IsCompleted); // the stop waits for the start under way
        starting.SetResult();
        await Task.WhenAll(start, stop);
        await service.StartAsync(); // the sidecar's late start, after its host stopped

        Assert.Equal(["started", "stopped"], order);
        inner.Verify(s => s.StartAsync(), Times.Once);
    }

    [Fact]
    public async Task AStoppingHost_NoLongerRenewsTheLocksOfWorkItHolds()
    {
        var renewals = 0;
        var inner = new Mock<IOrchestrationService>();
        var item = new TaskActivityWorkItem { Id = "item-1", LockedUntilUtc = DateTime.UtcNow.AddSeconds(3) };
        inner.Setup(s => s.LockNextTaskActivityWorkItem(It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>())).ReturnsAsync(item);
        inner.Setup(s => s.RenewTaskActivityWorkItemLockAsync(item)).ReturnsAsync(() =>
        {
            Interlocked.Increment(ref renewals);
            item.LockedUntilUtc = DateTime.UtcNow.AddSeconds(3);
            return item;
        });
        var service = new RenewingOrchestrationService(inner.Object, TimeSpan.FromMilliseconds(300), NullLogger.Instance);

        await service.LockNextTaskActivityWorkItem(TimeSpan.FromSeconds(1), Token);
        await Task.Delay(500, Token);
        Assert.True(Volatile.Read(ref renewals) > 0, "a held work item is renewed while its host runs");
        await service.StopAsync(isForced: true);
        var atStop = Volatile.Read(ref renewals);
        await Task.Delay(700, Token);

        // Renewed on, a second host on the task hub would wait hours for this work; let go, it waits one visibility timeout.
        Assert.Equal(atStop, Volatile.Read(ref renewals));
        Assert.Equal(0, service.Held);
    }

    private sealed record RunningEngine(WebApplication App, DurableTaskClient Client, CountingPolicy QueueCalls);

    private async Task<RunningEngine> StartEngineAsync(Func<string, Task<string>> step)
    {
        var queueCalls = new CountingPolicy();
        var queueOptions = new QueueClientOptions();
        queueOptions.AddPolicy(queueCalls, HttpPipelinePosition.PerRetry);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSingleton(new StorageAccountClientProvider(
            StorageServiceClientProvider.ForBlob(azurite.ConnectionString, new Azure.Storage.Blobs.BlobClientOptions()),
            StorageServiceClientProvider.ForQueue(azurite.ConnectionString, queueOptions),
            StorageServiceClientProvider.ForTable(azurite.ConnectionString, new Azure.Data.Tables.TableClientOptions())));
        var options = new LocalHostOptions
        {
            TaskHub = "stop" + Guid.NewGuid().ToString("N")[..8],
            MaxQueuePollingInterval = TimeSpan.FromMilliseconds(100),
        };
        builder.Services.AddAzureStorageDurableEngine(azurite.ConnectionString, options, registry =>
        {
            registry.AddOrchestratorFunc<string, string>(
                "Shutdown.Job", (context, input) => context.CallActivityAsync<string>("Shutdown.Step", input));
            registry.AddActivityFunc<string, string>("Shutdown.Step", (_, input) => step(input));
        });
        var app = builder.Build();
        await app.StartAsync(Token);
        return new RunningEngine(app, app.Services.GetRequiredService<DurableTaskClient>(), queueCalls);
    }

    private static async Task AssertStopsPollingAsync(RunningEngine engine)
    {
        await Task.Delay(TimeSpan.FromSeconds(2), Token);
        Assert.True(engine.QueueCalls.Count > 10, $"a running engine polls its queues ({engine.QueueCalls.Count} calls)");

        await engine.App.StopAsync(Token);
        await engine.App.DisposeAsync();

        // A running engine polls every 100 ms here; a stopped one falls silent once its partitions are let go.
        var window = TimeSpan.FromSeconds(3);
        var since = Stopwatch.StartNew();
        var last = -1;
        while (engine.QueueCalls.Count != last)
        {
            Assert.True(
                since.Elapsed < TimeSpan.FromSeconds(20), $"still polling 20 s after the stop ({engine.QueueCalls.Count} queue calls)");
            last = engine.QueueCalls.Count;
            await Task.Delay(window, Token);
        }
    }

    private sealed class CountingPolicy : HttpPipelinePolicy
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Interlocked.Increment(ref _count);
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Interlocked.Increment(ref _count);
            return ProcessNextAsync(message, pipeline);
        }
    }
}
