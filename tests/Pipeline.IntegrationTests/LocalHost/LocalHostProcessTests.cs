using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FalEmulator;
using FalEmulator.Recording;
using Pipeline.Core.Events;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.LocalHost;

/// <summary>
/// The local host run as the README says, as its own process, on its own Azurite (its inbox container must not see
/// other tests' drops) and its own task hub.
/// </summary>
public sealed class LocalHostProcessTests() : OwnAzuriteAndHome("pipeline-home-")
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunScript_DroppedImageAndPromptJob_BothEndAsMp4sInVideosWithEventsInEventsJsonl()
    {
        var port = LocalHostProcess.FreePort();
        await using var host = await LocalHostProcess.StartScriptAsync(Home, port, Azurite.ConnectionString,
            LocalHostProcess.TestArguments(port, "t" + Guid.NewGuid().ToString("N")[..10]));

        Directory.CreateDirectory(Path.Combine(Home, "inbox", "trip"));
        await File.WriteAllBytesAsync(Path.Combine(Home, "inbox", "trip", "beach.jpg"), TestFiles.Jpeg.ToArray(), Token);
        using var submit = await host.Http.PostAsJsonAsync(
            "/api/videos/text-to-video", new { prompt = "A paper boat on a pond", resolution = "480p", duration = "4" }, Token);
        var id = (await submit.Content.ReadFromJsonAsync<JsonObject>(Token))!["id"]!.GetValue<string>();

        var dropped = Path.Combine(Home, "videos", "trip", "beach.mp4");
        var prompted = Path.Combine(Home, "videos", "jobs", id + ".mp4");
        await WaitUntilAsync(() => File.Exists(dropped) && File.Exists(prompted), host);

        Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
        Assert.Equal("ftyp"u8.ToArray(), (await File.ReadAllBytesAsync(dropped, Token))[4..8]);
        Assert.Equal("ftyp"u8.ToArray(), (await File.ReadAllBytesAsync(prompted, Token))[4..8]);
        await WaitUntilAsync(() => TerminalEvents().Count == 2, host);
        var events = TerminalEvents();
        Assert.All(events, e => Assert.Equal(JobEventTypes.Succeeded, e["type"]!.GetValue<string>()));
        Assert.Contains(events, e => e["subject"]!.GetValue<string>() == "videos/trip/beach.mp4");
        Assert.Contains(events, e => e["subject"]!.GetValue<string>() == $"videos/{id}");
        Assert.All(events, e => Assert.IsType<JsonObject>(e["data"]));
    }

    [Fact]
    public async Task KilledWhileWaitingForFalAndWhileStoring_EachJobEndsOnceWithOneSubmission()
    {
        await using var fal = await FalEmulatorHost.StartAsync(o => o.TimeScale = 0.02, cancellationToken: Token);
        var port = LocalHostProcess.FreePort();
        var arguments = WithExternalFal(fal, port);

        var host = await LocalHostProcess.StartProgramAsync(Home, port, Azurite.ConnectionString, arguments);
        string waiting, storing;
        try
        {
            // 1. Killed while the job waits for fal (fal takes 6 s here).
            waiting = await SubmitAsync(host, "Killed while waiting [emulator: run=300s]");
            await WaitUntilAsync(async () => (await StatusAsync(host, waiting))["stage"]?.GetValue<string>() == "queued_at_fal", host);
            await host.KillAsync();
            await host.DisposeAsync();
            host = await LocalHostProcess.StartProgramAsync(Home, port, Azurite.ConnectionString, arguments);

            // 2. Killed while the video is being copied (fal's CDN trickles it over 4 s).
            storing = await SubmitAsync(host, "Killed while storing [emulator: file=slow:200s]");
            await WaitUntilAsync(async () => (await StatusAsync(host, storing))["stage"]?.GetValue<string>() == "storing_video", host);
            await host.KillAsync();
            await host.DisposeAsync();
            host = await LocalHostProcess.StartProgramAsync(Home, port, Azurite.ConnectionString, arguments);

            foreach (var id in new[] { waiting, storing })
            {
                await WaitUntilAsync(async () => (await StatusAsync(host, id))["status"]!.GetValue<string>()
                    is "succeeded" or "failed" or "cancelled", host);
                Assert.Equal("succeeded", (await StatusAsync(host, id))["status"]!.GetValue<string>());
                var video = Path.Combine(Home, "videos", "jobs", id + ".mp4");
                Assert.True(File.Exists(video) || await WaitForFileAsync(video, host));
            }
        }
        finally
        {
            await host.DisposeAsync();
        }

        Assert.Equal(2, fal.Recorder.Calls.Count(c => c.Kind == CallKind.Submit)); // one submission per job, restarts included
        foreach (var id in new[] { waiting, storing })
        {
            var terminal = TerminalEvents().Where(e => e["data"]!["id"]!.GetValue<string>() == id)
                .Select(e => e["id"]!.GetValue<string>())
                .Distinct();
            Assert.Equal([$"{id}.succeeded"], terminal); // at-least-once delivery may repeat it, but never a second outcome
        }
    }

    [Fact]
    public async Task SigtermWhileAJobWaitsForFal_StopsTheHostWithExitCode0_WithoutACrash()
    {
        var port = LocalHostProcess.FreePort();
        await using var host = await LocalHostProcess.StartProgramAsync(Home, port, Azurite.ConnectionString,
            LocalHostProcess.TestArguments(port, "t" + Guid.NewGuid().ToString("N")[..10]));
        var id = await SubmitAsync(host, "Stopped while waiting [emulator: run=300s]");
        await WaitUntilAsync(async () => (await StatusAsync(host, id))["stage"]?.GetValue<string>() == "queued_at_fal", host);

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        var exitCode = await host.TerminateAsync();

        var exit = exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none within 60 s";
        Assert.True(exitCode == 0, $"exit {exit}:\n{host.Output}");
        Assert.DoesNotContain("Unhandled exception", host.Output, StringComparison.Ordinal);
        Assert.InRange(stopping.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Ctrl-C on <c>run.sh</c> in a terminal (SIGINT to its whole process group) while a job waits for fal: a clean stop
    /// of a server, exit 0. Azurite, which the script started, used to take the SIGINT too and end at once, so the host
    /// logged storage warnings while it let go of the task hub, waited 5 s for it, and the script exited 130.
    /// </summary>
    [Fact]
    public async Task CtrlCOnRunScript_StopsTheHostThenItsAzurite_WithExitCode0_AndNoStorageWarnings()
    {
        var port = LocalHostProcess.FreePort();
        var azuritePort = LocalHostProcess.FreePortsInARow();
        await using var host = await LocalHostProcess.StartScriptAsync(Home, port, storage: null,
            LocalHostProcess.TestArguments(port, "t" + Guid.NewGuid().ToString("N")[..10]), azuritePort);
        var id = await SubmitAsync(host, "Stopped by Ctrl-C [emulator: run=300s]");
        await WaitUntilAsync(async () => (await StatusAsync(host, id))["stage"]?.GetValue<string>() == "queued_at_fal", host);

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        var exitCode = await host.InterruptAsync();

        var exit = exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none within 60 s";
        Assert.True(exitCode == 0, $"exit {exit}:\n{host.Output}");
        Assert.Contains($"starting Azurite (data in {Home}/.local/azurite)", host.Output, StringComparison.Ordinal);
        Assert.True(!host.Output.Contains("warn:", StringComparison.Ordinal), host.Output);
        Assert.InRange(stopping.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5)); // no wait for a task hub its storage lost
        // Azurite stopped too.
        Assert.Throws<System.Net.Sockets.SocketException>(() => new System.Net.Sockets.TcpClient("127.0.0.1", azuritePort).Dispose());
    }

    /// <summary>
    /// A deploy or a scale-in stops the host with SIGTERM: a submit already on its way to fal finishes and records fal's
    /// answer before the host exits, so the restarted host follows that request instead of confirming a lost one.
    /// </summary>
    [Fact]
    public async Task SigtermWhileASubmitIsOnItsWay_TheStopWaitsForFalsAnswer_AndTheJobGoesOnWithIt()
    {
        await using var fal = await FalEmulatorHost.StartAsync(o => o.TimeScale = 0.02, cancellationToken: Token);
        var port = LocalHostProcess.FreePort();
        var arguments = WithExternalFal(fal, port);
        var host = await LocalHostProcess.StartProgramAsync(Home, port, Azurite.ConnectionString, arguments);
        string id;
        try
        {
            id = await SubmitAsync(host, "Stopped while submitting [emulator: submit_delay=250s]"); // fal answers 5 s after the POST
            await WaitUntilAsync(async () => (await StatusAsync(host, id))["stage"]?.GetValue<string>() == "submitting", host);
            await Task.Delay(1500, Token);

            var exitCode = await host.TerminateAsync();

            Assert.True(exitCode == 0, $"exit {exitCode}:\n{host.Output}");
            var record = await Azurite.BlobServiceClient.GetBlobContainerClient("jobs").GetBlobClient($"submits/{id}/01.json")
                .DownloadContentAsync(Token);
            Assert.Equal("accepted", JsonNode.Parse(record.Value.Content.ToString())!["state"]!.GetValue<string>()); // not left "sending"
            await host.DisposeAsync();
            host = await LocalHostProcess.StartProgramAsync(Home, port, Azurite.ConnectionString, arguments);
            await WaitUntilAsync(async () => (await StatusAsync(host, id))["status"]!.GetValue<string>() is "succeeded" or "failed", host);
            Assert.Equal("succeeded", (await StatusAsync(host, id))["status"]!.GetValue<string>());
        }
        finally
        {
            await host.DisposeAsync();
        }

        Assert.Single(fal.Recorder.Calls, c => c.Kind == CallKind.Submit);
    }

    /// <summary>The host's arguments with a fal emulator of the test's own (its record of every call outlives the host).</summary>
    private static List<string> WithExternalFal(FalEmulatorHost fal, int port)
    {
        var arguments = LocalHostProcess.TestArguments(port, "t" + Guid.NewGuid().ToString("N")[..10]);
        arguments.AddRange(["--LocalHost:UseEmulator", "false", .. PipelineSettings.For(fal).AsArguments(),
            "--Pipeline:PublicBaseUrl", $"http://localhost:{port}", "--Pipeline:SendInputsAsDataUris", "false"]);
        return arguments;
    }

    private static async Task<string> SubmitAsync(LocalHostProcess host, string prompt)
    {
        using var response = await host.Http.PostAsJsonAsync(
            "/api/videos/text-to-video", new { prompt, resolution = "480p", duration = "4" }, Token);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>(Token))!["id"]!.GetValue<string>();
    }

    private static async Task<JsonObject> StatusAsync(LocalHostProcess host, string id) =>
        (await host.Http.GetFromJsonAsync<JsonObject>($"/api/videos/{id}", Token))!;

    private List<JsonObject> TerminalEvents()
    {
        var file = Path.Combine(Home, "events.jsonl");
        if (!File.Exists(file))
        {
            return [];
        }

        return
        [
            .. File.ReadAllLines(file)
                .Select(l => JsonNode.Parse(l)!.AsObject())
                .Where(e => e["type"]!.GetValue<string>() != JobEventTypes.Submitted),
        ];
    }

    private static async Task<bool> WaitForFileAsync(string path, LocalHostProcess host)
    {
        await WaitUntilAsync(() => File.Exists(path), host);
        return true;
    }

    private static Task WaitUntilAsync(Func<bool> condition, LocalHostProcess host) =>
        WaitUntilAsync(() => Task.FromResult(condition()), host);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, LocalHostProcess host)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(90);
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException("condition not met within 90 s; host output:\n" + host.Output);
            }

            await Task.Delay(200, Token);
        }
    }
}
