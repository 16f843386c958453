using Azure.Storage.Queues;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Pipeline.Core.DependencyInjection;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.LocalHost;

/// <summary>
/// The local host's durable engine (Azure Storage backend on Azurite behind the test host's sidecar) runs work longer
/// than its queue visibility timeout once, and deletes its message when the work completes.
/// </summary>
public sealed class DurableEngineTests
{
    private const string SlowOrchestration = "EngineTest.Slow";
    private const string SlowActivity = "EngineTest.SlowActivity";

    private static int _runs;

    [Fact]
    public async Task ActivityLongerThanTheVisibilityTimeout_RunsOnce_AndItsMessageIsDeleted()
    {
        _runs = 0;
        // Visibility 3 s; the activity takes 10 s: without renewal it is picked up again after 3 s (and every 3 s after).
        await using var host = await LocalHostInProcess.StartAsync(
            [
                "--LocalHost:QueueVisibilityTimeout", "00:00:03",
            ],
            tasks: registry =>
            {
                registry.AddPipelineTasks();
                registry.AddOrchestratorFunc<string, int>(
                    SlowOrchestration, async (context, input) => await context.CallActivityAsync<int>(SlowActivity, input));
                registry.AddActivityFunc<string, int>(SlowActivity, async (_, _) =>
                {
                    var run = Interlocked.Increment(ref _runs);
                    await Task.Delay(TimeSpan.FromSeconds(10));
                    return run;
                });
            });

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(SlowOrchestration, "go", TestContext.Current.CancellationToken);
        var done = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, TestContext.Current.CancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken); // past another visibility timeout

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(1, done.ReadOutputAs<int>());
        Assert.Equal(1, _runs);
        var workItems = new QueueClient(host.Azurite.ConnectionString, $"{host.TaskHub.ToLowerInvariant()}-workitems");
        Assert.Equal(0, (await workItems.GetPropertiesAsync(TestContext.Current.CancellationToken)).Value.ApproximateMessagesCount);
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains("processed multiple times", StringComparison.Ordinal)
                                                    || l.Contains("PopReceiptMismatch", StringComparison.Ordinal));
    }
}
