using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.LocalHost;

/// <summary>
/// Where the local host program keeps <c>inbox/</c> and <c>videos/</c>: <c>PIPELINE_HOME</c> (the environment) when
/// <c>LocalHost:Home</c> is not set, whatever folder it is started from; <c>LocalHost:Home</c> when it is.
/// </summary>
public sealed class LocalHostHomeTests : IAsyncLifetime
{
    private readonly AzuriteFixture _azurite = new();
    private readonly string _pipelineHome = Directory.CreateTempSubdirectory("pipeline-home-").FullName;
    private readonly string _localHostHome = Directory.CreateTempSubdirectory("localhost-home-").FullName;
    private readonly string _startedFrom = Directory.CreateTempSubdirectory("started-from-").FullName;

    public ValueTask InitializeAsync() => _azurite.InitializeAsync();

    public async ValueTask DisposeAsync()
    {
        await _azurite.DisposeAsync();
        foreach (var folder in new[] { _pipelineHome, _localHostHome, _startedFrom })
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task PipelineHome_IsTheHome_WhenLocalHostHomeIsNotSet()
    {
        await using var host = await StartAsync();

        await WaitForFoldersAsync(_pipelineHome, host);
        Assert.False(Directory.Exists(Path.Combine(_startedFrom, "inbox")), "the folder it was started from is not the home");
    }

    [Fact]
    public async Task LocalHostHome_WinsOverPipelineHome()
    {
        await using var host = await StartAsync("--LocalHost:Home", _localHostHome);

        await WaitForFoldersAsync(_localHostHome, host);
        Assert.False(Directory.Exists(Path.Combine(_pipelineHome, "inbox")), "PIPELINE_HOME is only the default");
        Assert.False(Directory.Exists(Path.Combine(_startedFrom, "inbox")));
    }

    /// <summary>The program with <c>PIPELINE_HOME</c> set, started from another folder.</summary>
    private Task<LocalHostProcess> StartAsync(params string[] extraArguments)
    {
        var port = LocalHostProcess.FreePort();
        List<string> arguments = [.. LocalHostProcess.TestArguments(port, "t" + Guid.NewGuid().ToString("N")[..10]), .. extraArguments];
        return LocalHostProcess.StartProgramAsync(
            _pipelineHome, port, _azurite.ConnectionString, arguments, workingDirectory: _startedFrom);
    }

    private static async Task WaitForFoldersAsync(string home, LocalHostProcess host)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(30);
        while (!(Directory.Exists(Path.Combine(home, "inbox")) && Directory.Exists(Path.Combine(home, "videos"))))
        {
            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException($"no inbox/ and videos/ in {home} within 30 s; host output:\n{host.Output}");
            }

            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }
}
