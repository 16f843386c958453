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
        Assert.True(
            Directory.Exists(Path.Combine(root, "node_modules", "playwright-core")),
            "node_modules/playwright-core is missing: run scripts/setup.sh");
        await using var host = await LocalHostInProcess.StartAsync();

        var log = await NodeScript.RunAsync(TimeSpan.FromMinutes(5),
            [
                Path.Combine(root, "tests", "Browser", "page.e2e.mjs"),
                "--url", host.Http.BaseAddress!.ToString().TrimEnd('/'),
                "--image", Path.Combine(root, "samples", "harbour.jpg"),
                "--inbox", Path.Combine(host.Home, "inbox"),
                "--artifacts", Path.Combine(root, "tests", "Browser", "artifacts"),
            ],
            new Dictionary<string, string> { ["CHROMIUM"] = chromium });
        Assert.Contains("page test passed", log, StringComparison.Ordinal);
    }
}
