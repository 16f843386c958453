using System.Diagnostics;
using Pipeline.IntegrationTests.Infrastructure;

namespace Pipeline.IntegrationTests.Support;

/// <summary>Node programs the tests run from the repository (its node_modules beside them): started, or run to their end.</summary>
public static class NodeScript
{
    public static ProcessStartInfo StartInfo(params string[] arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = AzuriteFixture.FindRepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>Runs node to its end (killed after <paramref name="timeout"/>); returns what it printed, and asserts it exited 0.</summary>
    public static Task<string> RunAsync(TimeSpan timeout, params string[] arguments) => RunAsync(timeout, arguments, environment: null);

    public static async Task<string> RunAsync(TimeSpan timeout, string[] arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var start = StartInfo(arguments);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = node.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await node.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw;
        }

        var log = $"{await output}\n{await errors}";
        TestContext.Current.TestOutputHelper?.WriteLine(log);
        Assert.True(node.ExitCode == 0, $"node {string.Join(' ', arguments)} exited {node.ExitCode}:\n{log}");
        return await output;
    }
}
