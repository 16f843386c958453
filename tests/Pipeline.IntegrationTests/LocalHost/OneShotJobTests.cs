using System.Globalization;
using System.Text.RegularExpressions;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.LocalHost;

/// <summary>
/// <c>run.sh photo.jpg --prompt "…"</c> and <c>run.sh --prompt "…"</c> as the program runs them: one job, its video
/// at <c>videos/oneshot/&lt;stamp&gt;-&lt;image name or prompt slug&gt;.mp4</c>, and one last line on stdout, after
/// the log, saying where the video is, how long and large it is and which job made it (or why there is none), with
/// exit code 0 (or 1).
/// </summary>
public sealed partial class OneShotJobTests() : OwnAzuriteAndHome("pipeline-oneshot-")
{
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
        Assert.Contains(output.Take(output.Count - 1), line => line.Contains("Video pipeline: open", StringComparison.Ordinal)); // the log came first
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
            var (exitCode, output, errors) = await RunAsync([image, "--prompt", "The person turns"], TimeSpan.FromMilliseconds(milliseconds));

            var all = $"SIGTERM after {milliseconds} ms: exit {exitCode}:\n{string.Join('\n', output)}\n{errors}";
            Assert.True(exitCode is 130 or 143, all);
            Assert.DoesNotContain("Unhandled exception", all, StringComparison.Ordinal);
            if (exitCode == 130)
            {
                Assert.Equal("no video: interrupted", output[^1]);
            }
        }
    }

    private Task<(int ExitCode, IReadOnlyList<string> Output, string Errors)> RunAsync(List<string> arguments, TimeSpan? terminateAfter = null) =>
        LocalHostProcess.RunProgramAsync(Home, Azurite.ConnectionString,
            [.. arguments, .. LocalHostProcess.TestArguments(LocalHostProcess.FreePort(), "t" + Guid.NewGuid().ToString("N")[..10])], terminateAfter);

    [GeneratedRegex(@"^video: (?<path>/.+\.mp4) \((?<seconds>\d+\.\d) s, (?<mb>\d+\.\d\d) MB; job (?<job>\S+) succeeded\)$")]
    private static partial Regex VideoLine();
}
