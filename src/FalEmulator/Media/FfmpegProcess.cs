using System.ComponentModel;
using System.Diagnostics;

namespace FalEmulator.Media;

/// <summary>Outcome of one ffmpeg run that exited by itself.</summary>
internal sealed record FfmpegResult(int ExitCode, string StandardOutput, string StandardErrorTail);

/// <summary>Runs ffmpeg as a child process with cancellation, a timeout and deadlock-free output capture.</summary>
internal static class FfmpegProcess
{
    private const int StderrTailLines = 30;
    private const int StdoutLimitChars = 16 * 1024;

    /// <summary>
    /// Runs <paramref name="executable"/> to completion. The process (and any children) is killed on
    /// cancellation (<see cref="OperationCanceledException"/>) or timeout (<see cref="TimeoutException"/>).
    /// </summary>
    /// <exception cref="Win32Exception">The executable cannot be started (missing, not executable).</exception>
    /// <exception cref="InvalidOperationException">No executable was given.</exception>
    public static async Task<FfmpegResult> RunAsync(
        string executable,
        IEnumerable<string> arguments,
        string? workingDirectory,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        var startInfo = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = startInfo };
        process.Start();

        // Both pipes are drained concurrently from the start: a child blocked on a full pipe never exits.
        var stderrTask = ReadTailAsync(process.StandardError, StderrTailLines);
        var stdoutTask = ReadHeadAsync(process.StandardOutput, StdoutLimitChars);

        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await Task.WhenAll(stderrTask, stdoutTask).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var tail = FormatTail(await stderrTask.ConfigureAwait(false));
            throw new TimeoutException($"ffmpeg did not finish within {timeout.TotalSeconds:0} s and was killed.{tail}");
        }

        var stderr = await stderrTask.ConfigureAwait(false);
        var stdout = await stdoutTask.ConfigureAwait(false);
        return new FfmpegResult(process.ExitCode, stdout, stderr);
    }

    /// <summary>Formats an error-output tail for appending to an exception message.</summary>
    public static string FormatTail(string stderrTail) =>
        string.IsNullOrWhiteSpace(stderrTail) ? string.Empty : Environment.NewLine + "ffmpeg said:" + Environment.NewLine + stderrTail;

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited between the wait and the kill.
        }
        catch (Win32Exception)
        {
            // Exiting at the same moment; WaitForExit below still observes the end.
        }
    }

    // Keeps only the last lines: ffmpeg's useful error is at the end, and the output could be long.
    private static async Task<string> ReadTailAsync(StreamReader reader, int maxLines)
    {
        var tail = new Queue<string>(maxLines);
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (tail.Count == maxLines)
            {
                tail.Dequeue();
            }

            tail.Enqueue(line);
        }

        return string.Join(Environment.NewLine, tail);
    }

    private static async Task<string> ReadHeadAsync(StreamReader reader, int maxChars)
    {
        var buffer = new char[4096];
        var head = new System.Text.StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false)) > 0)
        {
            if (head.Length < maxChars)
            {
                head.Append(buffer, 0, Math.Min(read, maxChars - head.Length));
            }
        }

        return head.ToString();
    }
}
