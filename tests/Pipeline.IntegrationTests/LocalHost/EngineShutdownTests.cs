using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.LocalHost;
using Pipeline.LocalHost.Engine;

namespace Pipeline.IntegrationTests.LocalHost;

/// <summary>
/// A stopped local engine, after doing work, stops using its task hub. This checks the behaviour in general; it does not
/// reproduce the case the benchmark met (an engine stopped after 20 orchestrations with external events went on
/// polling until the host stopped its backend explicitly: 2,490 against 92 transactions a minute in the idle
/// measurement that followed), which passes here with or without that explicit stop.
/// </summary>
public sealed class EngineShutdownTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AStoppedEngine_NoLongerPollsItsQueues()
    {
        var queueCalls = new CountingPolicy();
        var queueOptions = new QueueClientOptions();
        queueOptions.AddPolicy(queueCalls, HttpPipelinePosition.PerRetry);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSingleton(new StorageAccountClientProvider(
            StorageServiceClientProvider.ForBlob(azurite.ConnectionString, new Azure.Storage.Blobs.BlobClientOptions()),
            StorageServiceClientProvider.ForQueue(azurite.ConnectionString, queueOptions),
            StorageServiceClientProvider.ForTable(azurite.ConnectionString, new Azure.Data.Tables.TableClientOptions())));
        var options = new LocalHostOptions { TaskHub = "stop" + Guid.NewGuid().ToString("N")[..8], MaxQueuePollingInterval = TimeSpan.FromMilliseconds(100) };
        builder.Services.AddAzureStorageDurableEngine(azurite.ConnectionString, options, registry =>
        {
            registry.AddOrchestratorFunc<string, string>("Shutdown.Job", (context, input) => context.CallActivityAsync<string>("Shutdown.Step", input));
            registry.AddActivityFunc<string, string>("Shutdown.Step", (_, input) => input);
        });
        await using var app = builder.Build();
        await app.StartAsync(Token);
        var client = app.Services.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>();
        var id = await client.ScheduleNewOrchestrationInstanceAsync("Shutdown.Job", "x", Token); // the engine at work, as a host's is
        await client.WaitForInstanceCompletionAsync(id, Token);
        await Task.Delay(TimeSpan.FromSeconds(2), Token);
        Assert.True(queueCalls.Count > 10, $"a running engine polls its queues ({queueCalls.Count} calls)");

        await app.StopAsync(Token);
        await Task.Delay(TimeSpan.FromSeconds(3), Token); // the backend lets go of its partitions as it stops
        var stopped = queueCalls.Count;
        await Task.Delay(TimeSpan.FromSeconds(3), Token);

        Assert.Equal(stopped, queueCalls.Count);
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
