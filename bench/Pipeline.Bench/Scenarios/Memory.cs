namespace Pipeline.Bench;

/// <summary>Memory while large videos are stored.</summary>
public sealed partial class Benchmark
{
    private async Task MemoryAsync(WebApplication app, EventSink sink, int megabytes)
    {
        var baseAddress = new Uri(app.Urls.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        using var http = new HttpClient { BaseAddress = baseAddress };
        var client = app.Services.GetRequiredService<DurableTaskClient>();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        await Task.Delay(1000);
        var idle = Sample();
        var body = new { prompt = $"large [emulator: file_bytes={megabytes}MB]", resolution = "480p", duration = "4" };
        using var response = await http.PostAsJsonAsync("/api/videos/text-to-video", body);
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
        var stored = result.Video is { } v ? $"{v.SizeBytes / (1024.0 * 1024):F0} MB" : $"failed: {result.Error?.Message}";
        _rows.Add(new Row(scenario, "stored", stored));
        _rows.Add(new Row(scenario, "peak working set above idle",
            $"{(peak - idle) / (1024.0 * 1024):F1} MB (idle {idle / (1024.0 * 1024):F0} MB)", "< 64 MB"));
        var videos = app.Services.GetRequiredService<PipelineStorage>().Videos;
        await videos.GetBlobClient(result.Video?.Blob["videos/".Length..] ?? "none").DeleteIfExistsAsync();

        static long Sample()
        {
            using var process = Process.GetCurrentProcess();
            return process.WorkingSet64;
        }
    }
}
