using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Pipeline.Functions.Tests;

/// <summary>
/// The package that is deployed — <c>dotnet publish -c Release</c>, what azd and <c>func azure functionapp publish</c>
/// build — read the way the Functions host reads it: no function in it may be one Flex Consumption refuses.
/// </summary>
public sealed class PublishedAppTests
{
    private static readonly Lazy<Task<string>> Published = new(PublishAsync);

    [Fact]
    public async Task ReleasePackage_HoldsOnlyEventGridBlobTriggers()
    {
        var metadata = JsonNode.Parse(await File.ReadAllTextAsync(
            Path.Combine(await Published.Value, "functions.metadata"),
            TestContext.Current.CancellationToken))!.AsArray();
        var blobTriggers = metadata
            .SelectMany(f => f!["bindings"]!.AsArray().Select(b => (Function: f["name"]!.GetValue<string>(), Binding: b!)))
            .Where(x => string.Equals(x.Binding["type"]?.GetValue<string>(), "blobTrigger", StringComparison.OrdinalIgnoreCase))
            .ToList();

        // The host's rule (ScriptHost.ValidateFunction on Flex): a blob trigger without source EventGrid is an error.
        Assert.All(blobTriggers, x => Assert.Equal("EventGrid", x.Binding["source"]?.GetValue<string>(), StringComparer.OrdinalIgnoreCase));
        Assert.Equal(["InboxTrigger"], blobTriggers.Select(x => x.Function));
        Assert.DoesNotContain(metadata, f => f!["name"]!.GetValue<string>() == "InboxPollingTrigger");
    }

    [Fact]
    public void DebugBuild_KeepsThePollingTriggerForFuncStartOnAzurite()
    {
        // The test project references the Debug build: what `func start` runs.
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray();
        var polling = metadata.Single(f => f!["name"]!.GetValue<string>() == "InboxPollingTrigger")!["bindings"]!.AsArray()
            .Single(b => b!["type"]!.GetValue<string>() == "blobTrigger")!;

        Assert.NotEqual("EventGrid", polling["source"]?.GetValue<string>());
        Assert.Equal("inbox/{name}", polling["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReleasePackage_CarriesLinuxX64NativesOnly()
    {
        var published = await Published.Value;
        var files = Directory.EnumerateFiles(published, "*", SearchOption.AllDirectories).Select(f => new FileInfo(f)).ToList();

        // The photo library's native code for the platform Flex runs (libMagick.Native for linux-x64), and no other platform's.
        Assert.Contains(
            files,
            f => f.Name.StartsWith("Magick.Native", StringComparison.Ordinal) && f.Name.EndsWith(".so", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.FullName.Contains($"{Path.DirectorySeparatorChar}win-", StringComparison.Ordinal)
            || f.FullName.Contains($"{Path.DirectorySeparatorChar}osx-", StringComparison.Ordinal));
        Assert.InRange(files.Sum(f => f.Length), 0, 150L * 1024 * 1024);
    }

    [Fact]
    public async Task ReleasePackage_CarriesTheHostSettings()
    {
        var host = JsonNode.Parse(await File.ReadAllTextAsync(
            Path.Combine(await Published.Value, "host.json"),
            TestContext.Current.CancellationToken))!;

        Assert.Equal(
            Pipeline.Core.Orchestrations.VideoJobOrchestrator.Version,
            host["extensions"]!["durableTask"]!["defaultVersion"]!.GetValue<string>());
        Assert.False(File.Exists(Path.Combine(await Published.Value, "local.settings.json")));
    }

    private static async Task<string> PublishAsync()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Pipeline.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Pipeline.sln not found above the test");
        }

        var output = Directory.CreateTempSubdirectory("published-app-").FullName;
        var start = new ProcessStartInfo(
            "dotnet",
            [
                "publish", Path.Combine(root, "functions", "Pipeline.Functions.csproj"),
                "-c", "Release", "-o", output, "--nologo", "-v", "q", "-clp:ErrorsOnly",
            ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var publish = Process.Start(start)!;
        var stdout = publish.StandardOutput.ReadToEndAsync();
        var stderr = publish.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await publish.WaitForExitAsync(timeout.Token);
        Assert.True(publish.ExitCode == 0, $"dotnet publish -c Release failed:\n{await stdout}\n{await stderr}");
        return output;
    }
}
