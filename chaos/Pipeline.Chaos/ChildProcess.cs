using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Pipeline.Chaos;

/// <summary>A built program of the solution run as its own process (<c>dotnet X.dll …</c>), with its output kept.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    /// <summary>CHAOS_LOG names a file that gets every child's output too, for finding the cause of a violation.</summary>
    private static readonly string? LogFile = Environment.GetEnvironmentVariable("CHAOS_LOG") is { Length: > 0 } file ? file : null;
    private static readonly Lock LogLock = new();

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly string _name;

    private ChildProcess(Process process, string name)
    {
        _process = process;
        _name = name;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(
        string dll, IEnumerable<string> arguments, string workingDirectory, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (LogFile is not null)
        {
            start.Environment["Logging__LogLevel__Pipeline"] = "Information"; // the pipeline's own story, not the engine's
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"{dll} did not start"), dll);
    }

    /// <summary>Waits until <paramref name="url"/> answers 2xx (following redirects).</summary>
    public async Task WaitUntilReadyAsync(HttpClient http, string url, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var until = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the process exited ({_process.ExitCode}):\n{Tail()}");
            }

            try
            {
                using var response = await http.GetAsync(url, cancellationToken);
                if (response.IsSuccessStatusCode)
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
                throw new TimeoutException($"{url} did not answer within {timeout}:\n{Tail()}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>SIGKILL: no shutdown, no flush, as a crash or a pulled plug.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync(CancellationToken.None);
    }

    public string Tail(int lines = 60) => string.Join('\n', _output.TakeLast(lines));

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        if (LogFile is not null)
        {
            lock (LogLock)
            {
                File.AppendAllText(LogFile, $"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {_name}: {line}\n");
            }
        }

        while (_output.Count > 2000)
        {
            _output.TryDequeue(out _);
        }
    }
}
