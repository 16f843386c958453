using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FalEmulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Core.Api;
using Pipeline.Core.Storage;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.LocalHost;

namespace Pipeline.IntegrationTests.Support;

/// <summary>
/// The local host built in this process (the production durable backend on Azurite, the fal emulator, the Event Grid
/// sink), on its own Azurite, folder and task hub, with every log line captured.
/// </summary>
public sealed class LocalHostInProcess : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly AzuriteFixture _azurite;

    private LocalHostInProcess(
        WebApplication app,
        FalEmulatorHost emulator,
        AzuriteFixture azurite,
        string home,
        string taskHub,
        int port,
        CapturingLoggerProvider logs)
    {
        _app = app;
        _azurite = azurite;
        Fal = emulator;
        Home = home;
        TaskHub = taskHub;
        Logs = logs;
        Http = new HttpClient { BaseAddress = new Uri($"http://localhost:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public FalEmulatorHost Fal { get; }

    public string Home { get; }

    public string TaskHub { get; }

    public CapturingLoggerProvider Logs { get; }

    public HttpClient Http { get; }

    public AzuriteFixture Azurite => _azurite;

    public IServiceProvider Services => _app.Services;

    public DurableTaskClient Client => _app.Services.GetRequiredService<DurableTaskClient>();

    public PipelineStorage Storage => _app.Services.GetRequiredService<PipelineStorage>();

    public static Task<LocalHostInProcess> StartAsync(params string[] extraArguments) => StartAsync(extraArguments, tasks: null);

    /// <param name="tasks">What the durable worker runs (default: the pipeline's tasks).</param>
    public static async Task<LocalHostInProcess> StartAsync(
        string[] extraArguments, Action<Microsoft.DurableTask.DurableTaskRegistry>? tasks) =>
        await StartAsync(extraArguments, tasks, configure: null);

    /// <param name="configure">A last word on the builder (a test's telemetry exporter).</param>
    public static async Task<LocalHostInProcess> StartAsync(
        string[] extraArguments, Action<Microsoft.DurableTask.DurableTaskRegistry>? tasks, Action<WebApplicationBuilder>? configure)
    {
        var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        var home = Directory.CreateTempSubdirectory("pipeline-local-").FullName;
        var port = LocalHostProcess.FreePort();
        var taskHub = "t" + Guid.NewGuid().ToString("N")[..10];
        var logs = new CapturingLoggerProvider();
        List<string> args =
        [
            .. LocalHostProcess.TestArguments(port, taskHub),
            "--LocalHost:Home", home,
            "--PipelineStorage", azurite.ConnectionString,
            .. extraArguments,
        ];
        var (app, emulator) = await LocalPipelineHost.BuildAsync([.. args], builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddProvider(logs);
            configure?.Invoke(builder);
        }, tasks);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new LocalHostInProcess(app, emulator!, azurite, home, taskHub, port, logs);
    }

    public async Task<string> SubmitAsync(object body)
    {
        using var response = await Http.PostAsJsonAsync("/api/videos/text-to-video", body, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>(TestContext.Current.CancellationToken))!["id"]!.GetValue<string>();
    }

    /// <summary>Uploads a file to the inbox container, which the host's trigger picks up; returns the job id it will get.</summary>
    public async Task<string> DropAsync(string name, BinaryData content)
    {
        var uploaded = await Storage.Inbox.GetBlobClient(name).UploadAsync(content, TestContext.Current.CancellationToken);
        return global::Pipeline.Core.Jobs.JobIds.ForBlob(PipelineStorage.InboxContainerName, name, uploaded.Value.ETag.ToString());
    }

    public async Task<VideoJobView> WaitForJobAsync(string id, TimeSpan? timeout = null)
    {
        var until = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        var videos = _app.Services.GetRequiredService<VideoJobService>();
        while (true)
        {
            var job = await videos.GetAsync(Client, id, TestContext.Current.CancellationToken);
            if (job?.Status is VideoJobStatuses.Succeeded or VideoJobStatuses.Failed or VideoJobStatuses.Cancelled)
            {
                return job;
            }

            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException($"job {id} did not finish: {job?.Status} {job?.Stage}");
            }

            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// The events the host's sink wrote, each job event checked against its published schema (a violation fails the test).
    /// </summary>
    public List<JsonObject> Events()
    {
        var file = Path.Combine(Home, "events.jsonl");
        List<JsonObject> events = File.Exists(file) ? [.. File.ReadAllLines(file).Select(l => JsonNode.Parse(l)!.AsObject())] : [];
        var jobEvents = events.Where(e => e["type"]?.GetValue<string>().StartsWith("Pipeline.VideoJob.", StringComparison.Ordinal) == true);
        foreach (var e in jobEvents)
        {
            using var data = System.Text.Json.JsonDocument.Parse(e["data"]!.ToJsonString());
            var problems = Infrastructure.PublishedSchemas.EventProblems(e["type"]!.GetValue<string>(), data.RootElement);
            Assert.True(problems.Count == 0, $"{e["id"]} does not match its published schema: {string.Join("; ", problems)}");
        }

        return events;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _azurite.DisposeAsync();
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // a mirror may still be writing; the temp folder is cleaned by the system
        }
    }
}
