using Microsoft.DurableTask.Worker.Grpc;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Core.Batches;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;
using Pipeline.Core.Jobs;
using static Pipeline.IntegrationTests.Batches.BatchTestSupport;

namespace Pipeline.IntegrationTests.Batches;

/// <summary>What a batch adds to a job's work (#20): the store step records a success, and a folder's record is written once.</summary>
public sealed class BatchCostTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    [Fact]
    public async Task AFolderDropThatSucceeds_IsRecordedInItsBatchByTheStoreStep_WithoutAStepOfItsOwn()
    {
        var recorder = new WorkItemRecorder();
        await using var host = await PipelineTestHost.StartAsync(azurite,
            services: services => services.PostConfigureAll<GrpcDurableTaskWorkerOptions>(o => o.Interceptors.Add(recorder)));
        var folder = Folder();

        var id = await host.DropAsync($"{folder}/harbour.jpg", TestFiles.Jpeg);
        var job = await host.WaitForJobAsync(id!);
        var progress = await WaitForBatchAsync(host, job["batch"]!["id"]!.GetValue<string>(), 1);

        Assert.Equal(1, progress["succeeded"]!.GetValue<int>());
        var episodes = recorder.EpisodesOf(id!);
        var activities = episodes
            .SelectMany(e => e.Response.Actions)
            .Where(a => a.ScheduleTask is not null)
            .Select(a => a.ScheduleTask.Name)
            .ToList();
        // A slow machine may poll fal before the webhook comes (PollFal); the batch step is never its own.
        Assert.Contains(global::Pipeline.Core.Steps.JobSteps.Store, activities);
        Assert.DoesNotContain(global::Pipeline.Core.Steps.JobSteps.RecordInBatch, activities);
    }

    [Fact]
    public async Task ABatchRecord_IsWrittenOncePerInstanceAnHour_AndAgainOnceThatHourIsOver()
    {
        var storage = new Core.Storage.PipelineStorage(azurite.BlobServiceClient);
        await storage.EnsureContainersAsync(Token);
        var time = new MovableClock();
        var ledger = new BatchLedger(storage, time, Microsoft.Extensions.Logging.Abstractions.NullLogger<BatchLedger>.Instance);
        var record = new BatchRecord(BatchIds.ForFolder("inbox", Folder()).Id, BatchKind.Folder, "inbox/x/", time.GetUtcNow());
        var blob = storage.Jobs.GetBlobClient($"batches/{record.Id}/batch.json");

        await ledger.EnsureAsync(record, Token);
        Assert.True(await blob.ExistsAsync(Token));

        await blob.DeleteAsync(cancellationToken: Token); // behind the ledger's back: only a second write would bring it back
        await ledger.EnsureAsync(record, Token);
        Assert.False(await blob.ExistsAsync(Token));

        time.Ahead = TimeSpan.FromMinutes(61);
        await ledger.EnsureAsync(record, Token);
        Assert.True(await blob.ExistsAsync(Token));
    }

    private sealed class MovableClock : TimeProvider
    {
        public TimeSpan Ahead { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Ahead;
    }
}
