using System.Collections.Concurrent;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Api;
using Pipeline.Core.Jobs;
using Pipeline.Core.Storage;
using Pipeline.Core.Options;

namespace Pipeline.LocalHost.Console;

/// <summary>The jobs this process has started or met, for the console's progress lines.</summary>
public sealed class JobWatchList
{
    /// <summary>Each job, and whether this process started it (rather than met it again, as a restart does).</summary>
    private readonly ConcurrentDictionary<string, bool> _ids = new(StringComparer.Ordinal);

    public void Add(string id, bool startedHere) => _ids.AddOrUpdate(id, startedHere, (_, before) => before || startedHere);

    public void Remove(string id) => _ids.TryRemove(id, out _);

    public bool StartedHere(string id) => _ids.TryGetValue(id, out var startedHere) && startedHere;

    public IReadOnlyCollection<string> Ids => [.. _ids.Keys];
}

/// <summary>
/// The core's scheduler, telling the watch list about every job it starts or finds (listing instances is not served by
/// the local sidecar).
/// </summary>
public sealed class WatchedJobScheduler(
    JobWatchList watch,
    IOptions<PipelineOptions> options,
    TimeProvider time,
    JobIndex index,
    OpenJobs open,
    Pipeline.Core.Batches.BatchLedger batches,
    IOptions<Pipeline.Core.Callbacks.CallbackOptions> callbacks,
    ILogger<JobScheduler> logger,
    IOptions<Pipeline.Core.Costs.CostOptions> costs)
    : JobScheduler(options, time, index, open, batches, callbacks, logger, costs)
{
    public override async Task<JobStart> StartAsync(
        DurableTaskClient client,
        VideoJob job,
        CancellationToken cancellationToken,
        Func<CancellationToken, Task<Pipeline.Core.Costs.BudgetRefusal?>>? reserve = null)
    {
        var started = await base.StartAsync(client, job, cancellationToken, reserve);
        if (started is not JobStart.Refused)
        {
            watch.Add(job.Id, startedHere: started is JobStart.Started);
        }

        return started;
    }
}
