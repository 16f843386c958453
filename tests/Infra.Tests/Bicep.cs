using System.Diagnostics;
using System.Reflection;

namespace Infra.Tests;

/// <summary>The Bicep CLI from its NuGet package (it runs offline), and the repository's infra/ folder.</summary>
internal static class Bicep
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string InfraFolder => Path.Combine(RepositoryRoot, "infra");

    public static IEnumerable<string> Files() =>
        Directory.EnumerateFiles(InfraFolder, "*.bicep", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    /// <summary>Runs <c>bicep args…</c>; returns the exit code and everything it printed.</summary>
    public static (int ExitCode, string StdOut, string StdErr) Run(params string[] args)
    {
        var start = new ProcessStartInfo(Executable()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            throw new TimeoutException("bicep " + string.Join(' ', args));
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string Executable()
    {
        var path = typeof(Bicep).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!
            .Replace('\\', '/');
        Assert.True(
            File.Exists(path),
            $"the Bicep CLI is restored with the test project (package Azure.Bicep.CommandLine.linux-x64): {path}");
        if (!OperatingSystem.IsWindows())
        {
            // NuGet does not keep the executable bit.
            File.SetUnixFileMode(
                path,
                File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Pipeline.sln not found above " + AppContext.BaseDirectory);
    }
}
