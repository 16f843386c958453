using Pipeline.Core.Inbox;

namespace Pipeline.Bench;

/// <summary>Bursts of drops, and their share of the engine's ceiling.</summary>
public sealed partial class Benchmark
{
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
        var upload = new Azure.Storage.Blobs.Models.BlobUploadOptions { Metadata = metadata };
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (name, ct) =>
            await _userStorage!.Inbox.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(image), upload, ct));
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
            $"{wall.TotalSeconds:F1} s (starting them took {scheduled.TotalSeconds:F1} s; "
            + $"uploading the images before, {uploaded.TotalSeconds:F1} s)"));
        _rows.Add(new Row(
            scenario, "throughput", $"{count / wall.TotalSeconds:F1} jobs/s", baseline ? "" : "≥ 80 % of the engine's ceiling"));
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
        (a.Time.ProcessCpu + (a.Time.AzuriteCpu ?? TimeSpan.Zero) + (a.Time.FalCpu ?? TimeSpan.Zero)).TotalMilliseconds / a.Jobs;

    private readonly Dictionary<int, double> _throughput = [];
}
