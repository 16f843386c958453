using System.Diagnostics;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Browser;

/// <summary>
/// The page in a real browser against the local host (production durable backend on Azurite, fal emulator): upload an
/// image and watch it become a playable video, see a field error, cancel a slow job, on a desktop and a phone screen.
/// The steps are <c>tests/Browser/page.e2e.mjs</c> (playwright-core driving Debian's chromium); screenshots go to
/// <c>tests/Browser/artifacts/</c>.
/// </summary>
[Collection(RunAlone.Name)]
public sealed class VideosPageBrowserTests
{
    [Fact]
    public async Task Page_UploadWatchPlayRefuseAndCancel_InChromium()
    {
        var root = AzuriteFixture.FindRepositoryRoot();
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), $"{chromium} is missing: scripts/setup.sh --browser installs Debian's chromium");
        Assert.True(Directory.Exists(Path.Combine(root, "node_modules", "playwright-core")), "node_modules/playwright-core is missing: run scripts/setup.sh");
        await using var host = await LocalHostInProcess.StartAsync();

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
                 {
                     Path.Combine(root, "tests", "Browser", "page.e2e.mjs"),
                     "--url", host.Http.BaseAddress!.ToString().TrimEnd('/'),
                     "--image", Path.Combine(root, "samples", "harbour.jpg"),
                     "--inbox", Path.Combine(host.Home, "inbox"),
                     "--artifacts", Path.Combine(root, "tests", "Browser", "artifacts"),
                 })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CHROMIUM"] = chromium;
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = node.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw;
        }

        var log = $"{await output}\n{await errors}";
        TestContext.Current.TestOutputHelper?.WriteLine(log);
        Assert.True(node.ExitCode == 0, log);
        Assert.Contains("page test passed", log, StringComparison.Ordinal);
    }
}
