using System.Globalization;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Pipeline.IntegrationTests.Infrastructure;

namespace Pipeline.IntegrationTests.Support;

/// <summary>
/// The local host as a person runs it: its own process, either through <c>scripts/run.sh</c> (exactly the README's
/// command) or the built program directly (so a test can SIGKILL it), with its own folder, port and task hub.
/// </summary>
public sealed class LocalHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private LocalHostProcess(Process process, int port, string home)
    {
        _process = process;
        Port = port;
        Home = home;
        Http = new HttpClient { BaseAddress = new Uri($"http://localhost:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        process.OutputDataReceived += (_, e) => _output.Enqueue(e.Data ?? "");
        process.ErrorDataReceived += (_, e) => _output.Enqueue(e.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public string Home { get; }

    public HttpClient Http { get; }

    public string Output => string.Join('\n', _output);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Settings every test run needs: its own port and task hub, a fast emulator and short intervals.</summary>
    public static List<string> TestArguments(int port, string taskHub) =>
    [
        "--LocalHost:Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--LocalHost:EmulatorPort", "0",
        "--LocalHost:EmulatorTimeScale", "0.02",
        "--LocalHost:TaskHub", taskHub,
        "--LocalHost:ScanInterval", "00:00:00.500",
        "--Pipeline:WebhookWait", "00:00:03",
        "--Pipeline:PollInterval", "00:00:01",
        "--Pipeline:SidecarGrace", "00:00:00.500",
        "--Pipeline:LoneRequestWait", "00:00:01",
    ];

    /// <summary>Three free ports in a row (Azurite's blob, queue and table).</summary>
    public static int FreePortsInARow()
    {
        while (true)
        {
            var first = FreePort();
            if (IsFree(first + 1) && IsFree(first + 2))
            {
                return first;
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Starts <c>scripts/run.sh</c> with <paramref name="arguments"/>, in <paramref name="home"/>, on <paramref name="storage"/>
    /// (null: an Azurite the script starts itself, on <paramref name="azuritePort"/> and the next two), as the leader of a
    /// process group of its own, as a terminal runs a command (<see cref="InterruptAsync"/> is then the terminal's Ctrl-C).
    /// </summary>
    public static Task<LocalHostProcess> StartScriptAsync(
        string home, int port, string? storage, IEnumerable<string> arguments, int? azuritePort = null)
    {
        var start = new ProcessStartInfo("setsid") { WorkingDirectory = AzuriteFixture.FindRepositoryRoot() };
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add(Path.Combine(AzuriteFixture.FindRepositoryRoot(), "scripts", "run.sh"));
        if (azuritePort is { } first)
        {
            start.Environment["PIPELINE_AZURITE_PORT"] = first.ToString(CultureInfo.InvariantCulture);
        }

        return StartAsync(start, home, port, storage, arguments);
    }

    /// <summary>Starts the built program directly (no script in between), so that Kill hits the host itself.</summary>
    /// <param name="home">Given in <c>PIPELINE_HOME</c>.</param>
    /// <param name="workingDirectory">Where the program runs (default: <paramref name="home"/>).</param>
    /// <param name="boundByFileModes">Without root's right to read any file (<see cref="WithoutReadingEverything"/>).</param>
    public static Task<LocalHostProcess> StartProgramAsync(
        string home, int port, string storage, IEnumerable<string> arguments, string? workingDirectory = null,
        bool boundByFileModes = false)
    {
        var program = Program(workingDirectory ?? home);
        return StartAsync(boundByFileModes ? WithoutReadingEverything(program) : program, home, port, storage, arguments);
    }

    /// <summary>
    /// The same command, bound by file modes even when the tests run as root: <c>chmod 000</c> stops a person's program,
    /// but root's capabilities to read and search anything would let it through (setpriv drops them for the program).
    /// </summary>
    private static ProcessStartInfo WithoutReadingEverything(ProcessStartInfo start)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return start;
        }

        var bound = new ProcessStartInfo("setpriv") { WorkingDirectory = start.WorkingDirectory };
        foreach (var argument in (string[])["--bounding-set", "-dac_override,-dac_read_search", start.FileName, .. start.ArgumentList])
        {
            bound.ArgumentList.Add(argument);
        }

        return bound;
    }

    /// <summary>Runs the built program to its end (a one-shot job); returns its exit code, its stdout lines and its stderr.</summary>
    /// <param name="terminateAfter">Sends SIGTERM this long after the start, as a service manager or Ctrl+C would.</param>
    public static async Task<(int ExitCode, IReadOnlyList<string> Output, string Errors)> RunProgramAsync(
        string home, string storage, IEnumerable<string> arguments, TimeSpan? terminateAfter = null)
    {
        using var process = Process.Start(Prepared(Program(home), home, storage, arguments))!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        if (terminateAfter is { } delay)
        {
            await Task.Delay(delay, TestContext.Current.CancellationToken);
            await SendSigtermAsync(process);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the one-shot run did not end within 120 s:\n{await output}\n{await errors}");
        }

        return (process.ExitCode, (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries), await errors);
    }

    /// <summary>.NET can receive signals but not send them; <c>kill</c> does.</summary>
    private static async Task SendSigtermAsync(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(CancellationToken.None);
    }

    private static ProcessStartInfo Program(string workingDirectory)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Pipeline.LocalHost.dll"));
        return start;
    }

    private static async Task<LocalHostProcess> StartAsync(
        ProcessStartInfo start, string home, int port, string? storage, IEnumerable<string> arguments)
    {
        var host = new LocalHostProcess(Process.Start(Prepared(start, home, storage, arguments))!, port, home);
        await host.WaitUntilReadyAsync();
        return host;
    }

    /// <summary>The arguments, redirected output, and the environment every run gets: its home, its storage.</summary>
    private static ProcessStartInfo Prepared(ProcessStartInfo start, string home, string? storage, IEnumerable<string> arguments)
    {
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.Environment["PIPELINE_HOME"] = home;
        if (storage is null)
        {
            start.Environment.Remove("PipelineStorage");
        }
        else
        {
            start.Environment["PipelineStorage"] = storage;
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return start;
    }

    /// <summary>Waits for <c>/</c> to answer 200 itself, as a readiness check that follows no redirect does.</summary>
    private async Task WaitUntilReadyAsync()
    {
        using var readiness = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
        {
            BaseAddress = Http.BaseAddress,
            Timeout = Http.Timeout,
        };
        var until = DateTimeOffset.UtcNow.AddSeconds(120); // the script may build first
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the local host exited ({_process.ExitCode}):\n{Output}");
            }

            try
            {
                using var response = await readiness.GetAsync("/", TestContext.Current.CancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException($"the local host did not answer within 120 s:\n{Output}");
            }

            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The process's resident memory now (VmRSS).</summary>
    public long ResidentBytes() => StatusKilobytes("VmRSS") * 1024;

    /// <summary>The most resident memory since the last <see cref="ResetPeakResident"/> (VmHWM).</summary>
    public long PeakResidentBytes() => StatusKilobytes("VmHWM") * 1024;

    /// <summary>Starts measuring the peak afresh (Linux: 5 into clear_refs resets VmHWM to the current size).</summary>
    public void ResetPeakResident() => File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");

    private long StatusKilobytes(string field) =>
        long.Parse(File.ReadAllLines($"/proc/{_process.Id}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>SIGTERM, as a service manager or Ctrl+C stops it; returns the exit code (null if it had not exited within 60 s).</summary>
    public async Task<int?> TerminateAsync()
    {
        await SendSigtermAsync(_process);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// Ctrl-C in a terminal: SIGINT to every process of the foreground group (the script, and what it started there);
    /// returns the exit code (null if it had not exited within 60 s).
    /// </summary>
    public async Task<int?> InterruptAsync()
    {
        using (var kill = Process.Start("kill", ["-INT", "--", "-" + _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(CancellationToken.None);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>SIGKILL: no shutdown, no flush, as a crash or a pulled plug.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }
}
