using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.LocalHost;

/// <summary>
/// What the local host's console (its stdout) says of jobs: a sidecar dropped before its image, whose job waits for the
/// image and ends superseded, is never spoken of (no start, no progress, no end); its image's job is announced and
/// ends with its video.
/// </summary>
public sealed class JobConsoleTests() : OwnAzuriteAndHome("pipeline-console-")
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASidecarDroppedBeforeItsImage_IsNeverAnnounced_ItsImagesJobIs()
    {
        var port = LocalHostProcess.FreePort();
        var arguments = LocalHostProcess.TestArguments(port, "t" + Guid.NewGuid().ToString("N")[..10]);
        arguments.AddRange(["--Pipeline:LoneRequestWait", "00:00:20"]); // the sidecar's job waits that long for its image
        await using var host = await LocalHostProcess.StartProgramAsync(Home, port, Azurite.ConnectionString, arguments);
        var folder = Path.Combine(Home, "inbox", "pair");
        Directory.CreateDirectory(folder);

        await File.WriteAllTextAsync(Path.Combine(folder, "harbour.json"),
            """{ "prompt": "Boats rock in the harbour", "resolution": "480p", "duration": "4" }""", Token);
        var sidecar = await WaitForJobAsync(host, "inbox/pair/harbour.json", stage: "preparing");
        await Task.Delay(TimeSpan.FromSeconds(2.5), Token); // the console has looked at it (every second) while it waits
        await File.WriteAllBytesAsync(Path.Combine(folder, "harbour.jpg"), TestFiles.Jpeg.ToArray(), Token);
        var image = await WaitForJobAsync(host, "inbox/pair/harbour.jpg", stage: null);
        await WaitUntilAsync(async () => (await StatusAsync(host, image))["status"]!.GetValue<string>() == "succeeded"
                                         && (await StatusAsync(host, sidecar))["error"]?["code"]?.GetValue<string>() == "superseded", host);
        await WaitUntilAsync(() => Task.FromResult(host.Output.Contains($"job {image}: succeeded", StringComparison.Ordinal)), host);
        await Task.Delay(TimeSpan.FromSeconds(2.5), Token); // and at the sidecar's end

        Assert.DoesNotContain(sidecar, host.Output, StringComparison.Ordinal);
        Assert.Contains($"job {image} started (ImageToVideo, from inbox/pair/harbour.jpg)", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AManifestsJobs_EachEndWithALineCountingTheBatch_AndARefusedManifestSaysWhy()
    {
        var port = LocalHostProcess.FreePort();
        await using var host = await LocalHostProcess.StartProgramAsync(Home, port, Azurite.ConnectionString,
            LocalHostProcess.TestArguments(port, "t" + Guid.NewGuid().ToString("N")[..10]));
        var folder = Path.Combine(Home, "inbox", "shots");
        Directory.CreateDirectory(folder);

        await File.WriteAllTextAsync(Path.Combine(folder, "plan.csv"),
            "prompt,resolution,duration\r\nA kite over the dunes,480p,4\r\nA lantern in the rain,480p,4\r\n"
            + "A fox in the snow,480p,99\r\n", Token);
        await WaitUntilAsync(() => Task.FromResult(File.Exists(Path.Combine(Home, "videos", "shots", "plan.error.json"))), host);
        await File.WriteAllTextAsync(Path.Combine(folder, "plan.csv"),
            "prompt,resolution,duration\r\nA kite over the dunes,480p,4\r\nA lantern in the rain,480p,4\r\n", Token);
        const string batchLine = "batch inbox/shots/plan.csv (Manifest): ";
        await WaitUntilAsync(() => Task.FromResult(
            host.Output.Contains(batchLine + "2 of 2 done, 0 failed or cancelled, 0 remaining", StringComparison.Ordinal)), host);

        // A line per end the console saw (two jobs that end within one of its one-second looks both count 2 of 2).
        Assert.InRange(host.Output.Split('\n').Count(l => l.Contains(batchLine, StringComparison.Ordinal)), 1, 2);
        Assert.Contains(
            "Manifest inbox/shots/plan.csv refused: 1 of 3 rows are invalid; nothing was started", host.Output, StringComparison.Ordinal);
    }

    /// <summary>The id of the job of that source, once it is listed (and at that stage, when one is given).</summary>
    private static async Task<string> WaitForJobAsync(LocalHostProcess host, string source, string? stage)
    {
        string? id = null;
        await WaitUntilAsync(async () =>
        {
            var jobs = (await host.Http.GetFromJsonAsync<JsonObject>("/api/videos?limit=100", Token))!["items"]!.AsArray();
            var job = jobs.FirstOrDefault(
                j => j!["source"]!.GetValue<string>() == source && (stage is null || j["stage"]?.GetValue<string>() == stage));
            id = job?["id"]!.GetValue<string>();
            return id is not null;
        }, host);
        return id!;
    }

    private static async Task<JsonObject> StatusAsync(LocalHostProcess host, string id) =>
        (await host.Http.GetFromJsonAsync<JsonObject>($"/api/videos/{id}", Token))!;

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, LocalHostProcess host)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException("condition not met within 60 s; host output:\n" + host.Output);
            }

            await Task.Delay(200, Token);
        }
    }
}
