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
/// A stopped local engine stops using its task hub: the backend's listeners and lease loops go with the host (found by
/// the benchmark's accounting, where stopped engines' polling slowed the measurements that followed them).
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
        builder.Services.AddAzureStorageDurableEngine(azurite.ConnectionString, options, _ => { });
        await using var app = builder.Build();
        await app.StartAsync(Token);
        await Task.Delay(TimeSpan.FromSeconds(3), Token);
        Assert.True(queueCalls.Count > 10, $"a running engine polls its queues ({queueCalls.Count} calls in 3 s)");

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
