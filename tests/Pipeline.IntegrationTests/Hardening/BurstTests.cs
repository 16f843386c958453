using Pipeline.Core.Api;
using Pipeline.Core.Events;
using Pipeline.Core.Storage;
using Pipeline.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Core.Inbox;

namespace Pipeline.IntegrationTests.Hardening;

/// <summary>
/// A burst of dropped images on the production durable backend, every blob event delivered twice (and the local blob
/// trigger sees them too): every image becomes exactly one video, with one fal submission and one terminal event.
/// </summary>
[Collection(RunAlone.Name)]
public sealed class BurstTests
{
    private const int Images = 200;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BurstOf200Drops_EachEventTwice_Makes200VideosNoneLostNoneDuplicated()
    {
        // At 1/200 of fal's time, the default 2 h output retention is 36 s of wall clock: on a loaded CI machine some
        // copies came later than that and met fal's 404, as they should. A day (432 s here) keeps the test on its subject.
        await using var host = await LocalHostInProcess.StartAsync(
            "--Pipeline:SidecarGrace", "00:00:00", "--LocalHost:EmulatorTimeScale", "0.005", "--Fal:OutputRetention", "1.00:00:00");
        var names = Enumerable.Range(0, Images).Select(i => $"burst/img-{i:D3}.jpg").ToList();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Token },
            async (name, ct) => await host.Storage.Inbox.GetBlobClient(name).UploadAsync(TestFiles.Jpeg, ct));

        var starter = host.Services.GetRequiredService<InboxJobStarter>();
        var ids = await Task.WhenAll(names
            .Concat(names)
            .Select(name => starter.StartAsync(host.Client, PipelineStorage.InboxContainerName, name, Token)));
        var jobs = ids.OfType<string>().Distinct().ToList();
        Assert.Equal(Images, jobs.Count);

        var until = DateTimeOffset.UtcNow.AddMinutes(4);
        var finished = new Dictionary<string, string>();
        while (finished.Count < Images)
        {
            Assert.True(DateTimeOffset.UtcNow < until, $"{finished.Count} of {Images} jobs finished within 4 minutes");
            foreach (var id in jobs.Where(j => !finished.ContainsKey(j)))
            {
                var instance = await host.Client.GetInstanceAsync(id, Token);
                if (instance?.IsCompleted == true)
                {
                    finished[id] = instance.RuntimeStatus.ToString();
                }
            }

            await Task.Delay(1000, Token);
        }

        Assert.All(finished.Values, status => Assert.Equal("Completed", status));
        var videos = new List<string>();
        await foreach (var blob in host.Storage.Videos.GetBlobsAsync(
            Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "burst/", Token))
        {
            videos.Add(blob.Name);
        }

        var markers = new List<string>();
        foreach (var marker in videos.Where(v => v.EndsWith(VideoStore.ErrorMarkerSuffix, StringComparison.Ordinal)))
        {
            markers.Add((await host.Storage.Videos.GetBlobClient(marker).DownloadContentAsync(Token)).Value.Content.ToString());
        }

        Assert.True(markers.Count == 0, $"jobs failed: {string.Join(" | ", markers)}");
        Assert.Equal(names.Select(InboxReader.OutputBlobFor).Order(), videos.Order());
        Assert.Equal(Images, host.Fal.Recorder.Calls.Count(c => c.Kind == FalEmulator.Recording.CallKind.Submit));
        await WaitForEventsAsync(host);
        var terminal = host.Events().Where(e => e["type"]!.GetValue<string>() != JobEventTypes.Submitted).ToList();
        Assert.All(terminal, e => Assert.Equal(JobEventTypes.Succeeded, e["type"]!.GetValue<string>()));
        Assert.Equal(Images, terminal.Select(e => e["id"]!.GetValue<string>()).Distinct().Count());
    }

    private static async Task WaitForEventsAsync(LocalHostInProcess host)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(30);
        while (host.Events().Count(e => e["type"]!.GetValue<string>() == JobEventTypes.Succeeded) < Images && DateTimeOffset.UtcNow < until)
        {
            await Task.Delay(250, Token);
        }
    }
}
