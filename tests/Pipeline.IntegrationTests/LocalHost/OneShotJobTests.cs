using System.Globalization;
using System.Text.RegularExpressions;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.LocalHost;

/// <summary>
/// <c>run.sh photo.jpg --prompt "…"</c> and <c>run.sh --prompt "…"</c> as the program runs them: one job, its video
/// at <c>videos/oneshot/&lt;stamp&gt;-&lt;image name or prompt slug&gt;.mp4</c>, and one last line on stdout, after
/// the log, saying where the video is, how long and large it is and which job made it (or why there is none), with
/// exit code 0 (1: the job gave no video; 2: no job started; 130: interrupted) — alone, beside a serving host (which
/// then runs the job), or beside a program that holds its ports.
/// </summary>
public sealed partial class OneShotJobTests() : OwnAzuriteAndHome("pipeline-oneshot-")
{
    private const string ApiKey = "one-shot-test-key";

    /// <summary>The task hub of a running host and of the one-shots beside it.</summary>
    private readonly string _taskHub = "t" + Guid.NewGuid().ToString("N")[..10];

    [Theory]
    [InlineData("portrait.jpg", "The person turns and smiles", "portrait")]
    [InlineData(null, "Northern lights over a frozen lake, slow pan to the right", "northern-lights-over-a-frozen-lake-slow")]
    public async Task OneJob_EndsWithTheVideosPathLengthSizeAndJob_AsTheLastLine(string? sample, string prompt, string name)
    {
        List<string> arguments = sample is null ? [] : [Path.Combine(AzuriteFixture.FindRepositoryRoot(), "samples", sample)];
        arguments.AddRange(["--prompt", prompt]);

        var (exitCode, output, errors) = await RunAsync(arguments);

        Assert.True(exitCode == 0, $"exit {exitCode}:\n{string.Join('\n', output)}\n{errors}");
        var last = VideoLine().Match(output[^1]);
        Assert.True(last.Success, $"last line: {output[^1]}");
        Assert.Equal(Path.Combine(Home, "videos", "oneshot"), Path.GetDirectoryName(last.Groups["path"].Value));
        Assert.Matches($@"^\d{{8}}-\d{{6}}-{name}\.mp4$", Path.GetFileName(last.Groups["path"].Value));
        var video = new FileInfo(last.Groups["path"].Value);
        Assert.Equal((video.Length / 1_000_000.0).ToString("0.00", CultureInfo.InvariantCulture), last.Groups["mb"].Value);
        Assert.InRange(double.Parse(last.Groups["seconds"].Value, CultureInfo.InvariantCulture), 4.9, 5.1); // the emulator's "auto" is 5 s
        Assert.StartsWith("inbox-", last.Groups["job"].Value, StringComparison.Ordinal);
        // the log came first
        Assert.Contains(output.Take(output.Count - 1), line => line.Contains("Video pipeline: open", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFailedJob_EndsWithItsErrorCodeAndMessage_AndExitCode1()
    {
        var (exitCode, output, _) = await RunAsync(["--prompt", "A storm at sea [emulator: result=error]"]);

        Assert.Equal(1, exitCode);
        Assert.Matches(@"^no video: job inbox-\S+ failed: fal_error: .+$", output[^1]);
    }

    [Fact]
    public async Task AMissingImage_StartsNoJob_AndExitCode2()
    {
        var (exitCode, output, _) = await RunAsync([Path.Combine(Home, "missing.jpg")]);

        Assert.Equal(2, exitCode);
        Assert.Equal($"no video: no such file: {Path.Combine(Home, "missing.jpg")}", output[^1]);
    }

    /// <summary>
    /// SIGTERM while the host is built, while it starts, while the job is dropped and while it waits: a stop asked for
    /// during start-up was lost (the job ran on to exit 0) or made the start throw (exit 134), and a gRPC call cut short
    /// by the stop crashed the run. The only other ending is the kernel's, before .NET listens at all (143).
    /// </summary>
    [Fact]
    public async Task SigtermAtAnyInstant_EndsInterrupted_WithExitCode130_NeverACrash()
    {
        var image = Path.Combine(AzuriteFixture.FindRepositoryRoot(), "samples", "portrait.jpg");
        foreach (var milliseconds in new[] { 400, 700, 1000, 1300, 1600, 2000, 2600 })
        {
            var (exitCode, output, errors) =
                await RunAsync([image, "--prompt", "The person turns"], TimeSpan.FromMilliseconds(milliseconds));

            var all = $"SIGTERM after {milliseconds} ms: exit {exitCode}:\n{string.Join('\n', output)}\n{errors}";
            Assert.True(exitCode is 130 or 143, all);
            Assert.DoesNotContain("Unhandled exception", all, StringComparison.Ordinal);
            if (exitCode == 130)
            {
                Assert.Equal("no video: interrupted", output[^1]);
            }
        }
    }

    /// <summary>
    /// Beside a serving host on the same port (the one-shot crashed with 134: address already in use), the job goes to
    /// that host through its HTTP API — with its API key, as JSON or as a form with the image and the sidecar's fields —
    /// and its video still lands at videos/oneshot/&lt;stamp&gt;-&lt;name&gt;.mp4, named in the same last line.
    /// </summary>
    [Theory]
    [InlineData("portrait.jpg", "The person turns and smiles", """{"resolution":"480p","duration":"4"}""", "portrait", 4.0)]
    [InlineData(null, "Northern lights over a frozen lake", null, "northern-lights-over-a-frozen-lake", 5.0)]
    public async Task BesideARunningHost_TheJobGoesToItsApi_AndTheVideoIsWhereTheOneShotPutsIt(
        string? sample, string prompt, string? sidecar, string name, double seconds)
    {
        await using var host = await StartRunningHostAsync("--LocalHost:ApiKey", ApiKey);
        List<string> arguments = sample is null ? [] : [Path.Combine(AzuriteFixture.FindRepositoryRoot(), "samples", sample)];
        arguments.AddRange(["--prompt", prompt]);
        if (sidecar is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(Home, "options.json"), sidecar, TestContext.Current.CancellationToken);
            arguments.AddRange(["--sidecar", Path.Combine(Home, "options.json")]);
        }

        var (exitCode, output, errors) = await RunBesideAsync(host, [.. arguments, "--LocalHost:ApiKey", ApiKey]);

        Assert.True(exitCode == 0, $"exit {exitCode}:\n{string.Join('\n', output)}\n{errors}\nthe running host:\n{host.Output}");
        var last = VideoLine().Match(output[^1]);
        Assert.True(last.Success, $"last line: {output[^1]}");
        var folder = Regex.Escape(Path.Combine(Home, "videos", "oneshot"));
        Assert.Matches($@"^{folder}/\d{{8}}-\d{{6}}-{name}\.mp4$", last.Groups["path"].Value);
        Assert.Equal(seconds, double.Parse(last.Groups["seconds"].Value, CultureInfo.InvariantCulture), 1);
        Assert.StartsWith("api-", last.Groups["job"].Value, StringComparison.Ordinal); // an API job of the running host
        Assert.Contains($"job {last.Groups["job"].Value} started", host.Output, StringComparison.Ordinal);
        // Its progress, here too.
        Assert.Contains(output, l => l.Contains($"job {last.Groups["job"].Value}: succeeded after", StringComparison.Ordinal));
        Assert.DoesNotContain(output, l => l.Contains("Video pipeline: open", StringComparison.Ordinal)); // no host of its own
    }

    /// <summary>
    /// Beside a serving host, what starts no job ends with 2 and its reason, never with a crash: a missing file, a sidecar
    /// that cannot be read or is not JSON, a flag without its value, a misspelt flag, and a host that asks for a key the
    /// one-shot lacks. The serving command itself beside it ends with 1 and one line, not a stack trace.
    /// </summary>
    [Fact]
    public async Task BesideARunningHost_WhatStartsNoJob_EndsWithExitCode2AndItsReason_NeverACrash()
    {
        await using var host = await StartRunningHostAsync("--LocalHost:ApiKey", ApiKey);
        var image = Path.Combine(AzuriteFixture.FindRepositoryRoot(), "samples", "portrait.jpg");
        var notJson = Path.Combine(Home, "not-json.json");
        await File.WriteAllTextAsync(notJson, "resolution: 480p", TestContext.Current.CancellationToken);
        var withKey = new[] { "--LocalHost:ApiKey", ApiKey };
        (string[] Arguments, string Line)[] cases =
        [
            ([Path.Combine(Home, "missing.jpg"), .. withKey], $"no video: no such file: {Path.Combine(Home, "missing.jpg")}"),
            ([image, "--sidecar", Home, .. withKey], $"no video: {Home} is a folder, not a file"),
            ([image, "--sidecar", notJson, .. withKey], $"no video: {notJson} is not valid JSON"),
            ([image, "--prompt"], "no video: --prompt needs a value"),
            (["--promt", "A boat"], "no video: unknown flag --promt"),
            (["--prompt", "A boat"], $"no video: the local host already running at {host.Http.BaseAddress} asks for an API key"),
        ];
        foreach (var (arguments, line) in cases)
        {
            var (exitCode, output, errors) = await RunBesideAsync(host, [.. arguments]);

            var all = $"{string.Join(' ', arguments)}: exit {exitCode}:\n{string.Join('\n', output)}\n{errors}";
            Assert.True(exitCode == 2, all);
            Assert.StartsWith(line, output[^1], StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", all, StringComparison.Ordinal);
        }

        var serving = await RunBesideAsync(host, []);
        Assert.Equal(1, serving.ExitCode);
        var already = $"the local host cannot start: a local host already runs at {host.Http.BaseAddress}";
        Assert.StartsWith(already, serving.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", serving.Errors, StringComparison.Ordinal);
    }

    /// <summary>
    /// SIGTERM (or Ctrl+C) while the one-shot waits for the running host's job: 130, as for its own host; the job goes
    /// on in that host, which still makes its video.
    /// </summary>
    [Fact]
    public async Task BesideARunningHost_SigtermWhileItWaits_EndsInterrupted_AndTheJobGoesOnThere()
    {
        await using var host = await StartRunningHostAsync();

        List<string> arguments = ["--prompt", "A slow tide [emulator: run=200s]"];
        var (exitCode, output, errors) = await RunBesideAsync(host, arguments, terminateAfter: TimeSpan.FromSeconds(4));

        Assert.True(exitCode == 130, $"exit {exitCode}:\n{string.Join('\n', output)}\n{errors}");
        Assert.Equal("no video: interrupted", output[^1]);
        var id = Regex.Match(string.Join('\n', output), @"job (api-[0-9a-f]{32}) goes on in the local host").Groups[1].Value;
        Assert.NotEmpty(id);
        var video = Path.Combine(Home, "videos", "jobs", id + ".mp4"); // the running host's own mirror
        var until = DateTimeOffset.UtcNow.AddSeconds(60);
        while (!File.Exists(video) && DateTimeOffset.UtcNow < until)
        {
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        Assert.True(File.Exists(video), $"the job did not go on:\n{host.Output}");
    }

    /// <summary>
    /// The configured ports held by a program that is not a local host (the emulator's start crashed with 134): the
    /// one-shot's own host listens on free ports and the job runs as ever.
    /// </summary>
    [Fact]
    public async Task PortsHeldByAnotherProgram_TheOneShotsHostTakesFreePorts_AndTheJobRuns()
    {
        using var api = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        using var emulator = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        api.Start();
        emulator.Start(); // listening, never answering: as a program that is not HTTP
        var apiPort = ((System.Net.IPEndPoint)api.LocalEndpoint).Port;
        var emulatorPort = ((System.Net.IPEndPoint)emulator.LocalEndpoint).Port;

        var (exitCode, output, errors) = await LocalHostProcess.RunProgramAsync(Home, Azurite.ConnectionString,
        [
            "--prompt", "A lighthouse at dusk", .. LocalHostProcess.TestArguments(apiPort, "t" + Guid.NewGuid().ToString("N")[..10]),
            "--LocalHost:EmulatorPort", emulatorPort.ToString(CultureInfo.InvariantCulture),
        ]);

        Assert.True(exitCode == 0, $"exit {exitCode}:\n{string.Join('\n', output)}\n{errors}");
        Assert.Matches(VideoLine(), output[^1]);
        Assert.Contains(output, l => l.Contains($"ports {apiPort} and {emulatorPort} are taken", StringComparison.Ordinal));
    }

    /// <summary>A serving host on the same home, storage and task hub as the one-shots run beside it.</summary>
    private async Task<LocalHostProcess> StartRunningHostAsync(params string[] extraArguments)
    {
        var port = LocalHostProcess.FreePort();
        List<string> arguments = [.. LocalHostProcess.TestArguments(port, _taskHub), .. extraArguments];
        return await LocalHostProcess.StartProgramAsync(Home, port, Azurite.ConnectionString, arguments);
    }

    /// <summary>A one-shot with the running host's settings, its API port among them.</summary>
    private Task<(int ExitCode, IReadOnlyList<string> Output, string Errors)> RunBesideAsync(
        LocalHostProcess host, List<string> arguments, TimeSpan? terminateAfter = null) =>
        LocalHostProcess.RunProgramAsync(
            Home, Azurite.ConnectionString, [.. arguments, .. LocalHostProcess.TestArguments(host.Port, _taskHub)], terminateAfter);

    private Task<(int ExitCode, IReadOnlyList<string> Output, string Errors)> RunAsync(
        List<string> arguments, TimeSpan? terminateAfter = null) =>
        LocalHostProcess.RunProgramAsync(Home, Azurite.ConnectionString,
            [.. arguments, .. LocalHostProcess.TestArguments(LocalHostProcess.FreePort(), "t" + Guid.NewGuid().ToString("N")[..10])],
            terminateAfter);

    [GeneratedRegex(@"^video: (?<path>/.+\.mp4) \((?<seconds>\d+\.\d) s, (?<mb>\d+\.\d\d) MB; job (?<job>\S+) succeeded\)$")]
    private static partial Regex VideoLine();
}
