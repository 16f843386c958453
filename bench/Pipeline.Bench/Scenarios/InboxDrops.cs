using Pipeline.Core.Inbox;

namespace Pipeline.Bench;

/// <summary>Inbox drops one by one: images without a sidecar (before and after #20's cuts) and with one.</summary>
public sealed partial class Benchmark
{
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
            const string sidecarJson = """{"prompt":"A slow pan across the scene","resolution":"480p","duration":"4"}""";
            await _userStorage!.Inbox.GetBlobClient(sidecar).UploadAsync(BinaryData.FromString(sidecarJson));
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
        var succeeded = results.Count(r => r.Outcome == JobOutcome.Succeeded);
        _rows.Add(new Row("inbox image with a sidecar", "jobs succeeded",
            $"{succeeded} of {images.Count} (and {sidecars.Count} sidecar starts)"));
    }
}
