using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using FalEmulator;
using Pipeline.Core.Jobs;

namespace Pipeline.Chaos;

/// <summary>
/// The chaos run: the fal emulator in a process of its own (so that its record of every request survives), the local
/// host (the pipeline on the production durable backend over Azurite) as a process that is SIGKILLed at seeded random
/// instants and started again, and a mix of jobs of every mode and source sent while it dies and comes back; with
/// outages asked, the dependencies named stand behind proxies that go away in turn (<see cref="OutageSchedule"/>).
/// Then every job is audited (<see cref="ChaosAudit"/>).
/// </summary>
public sealed class ChaosRun(ChaosOptions options, Action<string> log) : IDisposable
{
    private const string EmulatorKey = "emulator-key-id:emulator-key-secret";

    // Fixed, so that the key the host's publisher sends through the Event Grid proxy is the one its sink expects.
    private const string TopicKey = "chaos-event-grid-topic-key";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Random _random = new(options.Seed);
    private readonly string _home = Directory.CreateTempSubdirectory("pipeline-chaos-").FullName;
    private readonly int _port = ChildProcess.FreePort();
    private readonly int _emulatorPort = ChildProcess.FreePort();
    private readonly string _taskHub = "chaos" + Guid.NewGuid().ToString("N")[..8];
    private readonly byte[] _image = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "chaos-image.jpg"));
    private readonly List<TimeSpan> _restarts = [];
    private readonly OutageOptions _outages = options.Outages ?? OutageOptions.None;
    private readonly Stopwatch _clock = new();
    private DateTimeOffset _began;
    private DependencyProxies? _proxies;
    private int _failedStarts;

    private string BaseUrl => $"http://127.0.0.1:{_port}";

    public void Dispose() => _http.Dispose();

    private string EmulatorUrl => $"http://127.0.0.1:{_emulatorPort}";

    public async Task<ChaosReport> RunAsync(CancellationToken cancellationToken)
    {
        _clock.Start();
        _began = DateTimeOffset.UtcNow;
        var storage = new BlobServiceClient(options.Storage);
        await using var proxies = await DependencyProxies.StartAsync(
            _outages.Dependencies, new Uri(EmulatorUrl), new Uri(BaseUrl), options.Storage, cancellationToken);
        _proxies = proxies;
        // The files on a host of their own, as fal.media is: else they would follow the queue API's proxy (its Host header).
        await using var emulator = ChildProcess.Start("FalEmulator.dll",
            ["--urls", EmulatorUrl,
             "--FalEmulator:TimeScale", options.TimeScale.ToString(CultureInfo.InvariantCulture),
             "--FalEmulator:Runners", "64",
             "--FalEmulator:FilesBaseUrl", proxies.Files is { } files ? Origin(files) : EmulatorUrl,
             "--Logging:LogLevel:Default", "Warning"], _home);
        await emulator.WaitUntilReadyAsync(_http, $"{EmulatorUrl}/.well-known/jwks.json", TimeSpan.FromSeconds(60), cancellationToken);

        var jobs = Plan();
        var host = await StartHostAsync(cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var schedule = new OutageSchedule(_outages, proxies, Next, log);
        try
        {
            log($"chaos: seed {options.Seed}, {jobs.Count} jobs, {options.Kills} kills, fal time × {options.TimeScale}; "
                + $"host on {BaseUrl}, emulator on {EmulatorUrl}{OutagesInBrief()}");
            stop.CancelAfter(options.Timeout);
            var submitting = SubmitAllAsync(jobs, storage, stop.Token);
            var watching = WatchJobsAsync(jobs, submitting, stop.Token);
            var outages = schedule.RunAsync(
                jobs.Count, () => Volatile.Read(ref _sent), () => jobs.Count(j => j.Finished), _clock, stop.Token);
            for (var kill = 1; kill <= options.Kills; kill++)
            {
                // Kills spread over the run: the k-th once k/(K+1) of the jobs are sent, then after 0.5–4 s more.
                var due = kill * jobs.Count / (options.Kills + 1);
                while (Volatile.Read(ref _sent) < due && !submitting.IsCompleted)
                {
                    await Task.Delay(100, stop.Token);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Next(500, 4000)), stop.Token);
                await host.KillAsync();
                await host.DisposeAsync();
                log($"chaos: kill {kill} at {_clock.Elapsed.TotalSeconds:F1} s ({Volatile.Read(ref _sent)} jobs sent)");
                host = await StartHostAsync(stop.Token);
            }

            await submitting;
            await outages;
            await watching;
            var settled = await WaitForSettledAsync(storage, stop.Token);
            var audit = await new ChaosAudit(_http, storage, EmulatorUrl, EmulatorKey, _home)
                .RunAsync(jobs, settled, schedule.Windows, _began, stop.Token);
            return new ChaosReport(options, jobs, audit, _clock.Elapsed, _restarts)
            {
                FailedStarts = _failedStarts,
                Traffic = proxies.Traffic(),
            };
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            var unfinished = jobs.Where(j => !j.Finished).Take(10)
                .Select(j => $"{j.Id ?? "unsent"} {j.Scenario.Name} {j.Status?["stage"]}");
            throw new TimeoutException(
                $"the chaos run did not finish within {options.Timeout}: {jobs.Count(j => !j.Finished)} jobs unfinished "
                + $"({string.Join(", ", unfinished)}); host output:\n{host.Tail()}", e);
        }
        finally
        {
            await stop.CancelAsync(); // the watcher and the outages, if the run was given up
            await host.DisposeAsync();
            TryDelete(_home);
        }
    }

    private string OutagesInBrief() =>
        _outages.Dependencies.Count == 0 ? ""
        : _outages.ForwardOnly ? "; proxies in place, no outage"
        : $"; outages of {string.Join(", ", _outages.Dependencies.Select(d => d.Name()))}, {_outages.Length} each ({_outages.ModeName})";

    private static string Origin(Uri url) => url.GetLeftPart(UriPartial.Authority);

    /// <summary>The jobs, every scenario in turn and shuffled, each with its own queue and run times.</summary>
    private List<ChaosJob> Plan()
    {
        var jobs = Enumerable.Range(0, options.Jobs).Select(i =>
        {
            var scenario = JobScenario.All[i % JobScenario.All.Count];
            var times = $"queue={Next(10, 40)}s, run={Next(40, 120)}s";
            return new ChaosJob(i, scenario, scenario.Faults.Length == 0 ? times : $"{scenario.Faults}, {times}");
        }).ToList();
        return [.. jobs.OrderBy(_ => Next(0, int.MaxValue))];
    }

    /// <summary>
    /// Starts the host and waits until it serves. With outages asked, a host that exits while starting (storage may be
    /// out) is started again, as a platform restarts a crashed process, and counted.
    /// </summary>
    private async Task<ChildProcess> StartHostAsync(CancellationToken cancellationToken)
    {
        var restart = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            var host = StartHostProcess();
            try
            {
                await host.WaitUntilReadyAsync(_http, $"{BaseUrl}/", TimeSpan.FromSeconds(120) + _outages.Length, cancellationToken);
                _restarts.Add(restart.Elapsed);
                return host;
            }
            catch (InvalidOperationException) when (host.HasExited && _outages.Dependencies.Count > 0)
            {
                _failedStarts++;
                log($"chaos: the host exited while starting (attempt {attempt}, at {_clock.Elapsed.TotalSeconds:F1} s):\n{host.Tail(5)}");
                await host.DisposeAsync();
                await Task.Delay(1000, cancellationToken);
            }
        }
    }

    private ChildProcess StartHostProcess()
    {
        var proxies = _proxies!;
        string[] eventGrid = proxies.EventGrid is { } topic
            ? ["--EventGrid:TopicEndpoint", Origin(topic) + Pipeline.LocalHost.Events.EventGridSink.Path, "--EventGrid:TopicKey", TopicKey]
            : [];
        return ChildProcess.Start("Pipeline.LocalHost.dll",
        [
            "--LocalHost:Port", _port.ToString(CultureInfo.InvariantCulture),
            "--LocalHost:TaskHub", _taskHub,
            "--LocalHost:Home", _home,
            "--LocalHost:UseEmulator", "false",
            "--LocalHost:QueueVisibilityTimeout", "00:00:06",
            "--LocalHost:ScanInterval", "00:00:00.500",
            "--LocalHost:ReconcileInterval", "00:00:05",
            "--LocalHost:OutboxInterval", "00:00:05",
            // fal's queue and platform API through the fal proxy when there is one; the JWKS and files from the emulator
            .. PipelineSettings.For(new Uri(EmulatorUrl), EmulatorKey, proxies.Fal).AsArguments(),
            "--Fal:FirstRetryDelay", "00:00:00.200",
            "--Pipeline:PublicBaseUrl", BaseUrl,
            "--Pipeline:SendInputsAsDataUris", "false",
            "--Pipeline:WebhookWait", "00:00:04",
            "--Pipeline:PollInterval", "00:00:01",
            "--Pipeline:UnconfirmedSubmitWait", "00:00:20",
            "--Pipeline:SidecarGrace", "00:00:02",
            "--Pipeline:LoneRequestWait", "00:00:05",
            "--Pipeline:JobDeadline", "00:15:00",
            "--Pipeline:ReconcileAfter", "00:00:10",
            "--Costs:MaxConcurrentJobs", "8",
            "--Costs:SlotRetryInterval", "00:00:02",
            "--Logging:LogLevel:Default", "Warning",
            .. eventGrid,
        ], _home, new Dictionary<string, string> { ["PipelineStorage"] = proxies.Storage ?? options.Storage });
    }

    private int _sent;

    /// <summary>The seeded generator, shared by the senders and the kill loop.</summary>
    private int Next(int min, int max)
    {
        lock (_random)
        {
            return _random.Next(min, max);
        }
    }

    /// <summary>
    /// Sends the jobs, four at a time, about five a second; an HTTP job is sent again (same idempotency key) until answered.
    /// </summary>
    private async Task SubmitAllAsync(List<ChaosJob> jobs, BlobServiceClient storage, CancellationToken cancellationToken)
    {
        var inbox = storage.GetBlobContainerClient("inbox");
        await inbox.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var four = new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(jobs, four, async (job, token) =>
        {
            await SubmitAsync(job, inbox, token);
            job.SentAt = _clock.Elapsed;
            Interlocked.Increment(ref _sent);
            var pace = options.SendOver is { } over ? over * 4 / jobs.Count : TimeSpan.Zero; // four senders
            await Task.Delay(pace > TimeSpan.FromMilliseconds(800) ? pace : TimeSpan.FromMilliseconds(800), token);
        });
    }

    private async Task SubmitAsync(ChaosJob job, BlobContainerClient inbox, CancellationToken cancellationToken)
    {
        switch (job.Scenario.Source)
        {
            case JobSource.HttpJson:
                job.Id = await PostAsync(job, "text-to-video",
                    () => JsonContent.Create(new { prompt = job.Prompt, resolution = "480p", duration = "4" }), cancellationToken);
                job.OutputBlob = $"jobs/{job.Id}.mp4";
                break;
            case JobSource.MultipartImage:
                job.Id = await PostAsync(job, "image-to-video", () => Form(job.Prompt, ("image", "photo.jpg")), cancellationToken);
                job.OutputBlob = $"jobs/{job.Id}.mp4";
                break;
            case JobSource.MultipartReferences:
                job.Id = await PostAsync(job, "reference-to-video",
                    () => Form($"@Image1 meets @Image2. {job.Prompt}", ("images[]", "a.jpg"), ("images[]", "b.jpg")), cancellationToken);
                job.OutputBlob = $"jobs/{job.Id}.mp4";
                break;
            case JobSource.InboxImage:
                var metadata = new Dictionary<string, string>
                {
                    ["prompt"] = Uri.EscapeDataString(job.Prompt),
                    ["resolution"] = "480p",
                    ["duration"] = "4",
                };
                job.Id = await DropAsync(inbox, $"images/{job.Token}.jpg", BinaryData.FromBytes(_image), metadata, cancellationToken);
                job.OutputBlob = $"images/{job.Token}.mp4";
                break;
            case JobSource.InboxPair:
                job.SidecarId = await DropAsync(inbox, $"pairs/{job.Token}.json",
                    BinaryData.FromObjectAsJson(new { prompt = job.Prompt, resolution = "480p", duration = "4" }), null, cancellationToken);
                await Task.Delay(TimeSpan.FromMilliseconds(Next(100, 1500)), cancellationToken);
                job.Id = await DropAsync(inbox, $"pairs/{job.Token}.jpg", BinaryData.FromBytes(_image), null, cancellationToken);
                job.OutputBlob = $"pairs/{job.Token}.mp4";
                break;
            case JobSource.InboxJson:
                var idea = new { mode = "text-to-video", prompt = job.Prompt, resolution = "480p", duration = "4" };
                job.Id = await DropAsync(inbox, $"ideas/{job.Token}.json", BinaryData.FromObjectAsJson(idea), null, cancellationToken);
                job.OutputBlob = $"ideas/{job.Token}.mp4";
                break;
        }
    }

    /// <summary>POSTs until the host answers (it may be dead); the idempotency key makes every attempt the same job.</summary>
    private async Task<string> PostAsync(ChaosJob job, string mode, Func<HttpContent> content, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"{BaseUrl}/api/videos/{mode}") { Content = content() };
                request.Headers.Add("Idempotency-Key", job.Token);
                using var response = await _http.SendAsync(request, cancellationToken);
                if ((int)response.StatusCode is 200 or 202)
                {
                    return (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["id"]!.GetValue<string>();
                }

                if ((int)response.StatusCode is >= 400 and < 500)
                {
                    var answer = await response.Content.ReadAsStringAsync(cancellationToken);
                    throw new InvalidOperationException($"{mode} refused {job.Token}: {(int)response.StatusCode} {answer}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // the host is down or was killed mid-answer: the same key again
            }

            await Task.Delay(300, cancellationToken);
        }
    }

    private MultipartFormDataContent Form(string prompt, params (string Field, string Name)[] files)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(prompt), "prompt" },
            { new StringContent("480p"), "resolution" },
            { new StringContent("4"), "duration" },
        };
        foreach (var (field, name) in files)
        {
            var file = new ByteArrayContent(_image);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(file, field, name);
        }

        return form;
    }

    /// <summary>Uploads a blob as a person would; the job's id is what the trigger derives from the blob's version.</summary>
    private static async Task<string> DropAsync(
        BlobContainerClient inbox,
        string name,
        BinaryData content,
        IDictionary<string, string>? metadata,
        CancellationToken cancellationToken)
    {
        var uploaded = await inbox.GetBlobClient(name)
            .UploadAsync(content, new BlobUploadOptions { Metadata = metadata }, cancellationToken);
        return JobIds.ForBlob(inbox.Name, name, uploaded.Value.ETag.ToString());
    }

    /// <summary>
    /// Polls every job's status (through whichever host is up) from the time it is sent until all are sent and each has
    /// ended; the outage schedule paces itself by the jobs ended.
    /// </summary>
    private async Task WatchJobsAsync(List<ChaosJob> jobs, Task submitting, CancellationToken cancellationToken)
    {
        while (true)
        {
            foreach (var job in jobs.Where(j => j.SentAt is not null && !j.Finished))
            {
                job.Status = await StatusAsync(job.Id!, cancellationToken) ?? job.Status;
                if (job.SidecarId is { } sidecar)
                {
                    job.SidecarStatus = await StatusAsync(sidecar, cancellationToken) ?? job.SidecarStatus;
                }
            }

            if (submitting.IsCompleted && jobs.All(j => j.Finished))
            {
                return;
            }

            await Task.Delay(1000, cancellationToken);
        }
    }

    private async Task<JsonObject?> StatusAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync($"{BaseUrl}/api/videos/{id}", cancellationToken);
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken) : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null; // down, or too slow while a dependency is out: asked again on the next round
        }
    }

    /// <summary>
    /// Waits until no job is left open (up to two minutes: the reconciler's pace) and no event waits in the outbox (up to
    /// fifteen: after an Event Grid outage its events are offered again 30 s, doubling to 10 min, apart); returns whether
    /// both are empty.
    /// </summary>
    private static async Task<bool> WaitForSettledAsync(BlobServiceClient storage, CancellationToken cancellationToken)
    {
        var jobsContainer = storage.GetBlobContainerClient("jobs");
        return await EmptyWithinAsync(jobsContainer, "open/", TimeSpan.FromMinutes(2), cancellationToken)
            & await EmptyWithinAsync(jobsContainer, "events/", TimeSpan.FromMinutes(15), cancellationToken);
    }

    private static async Task<bool> EmptyWithinAsync(
        BlobContainerClient container, string prefix, TimeSpan wait, CancellationToken cancellationToken)
    {
        var until = DateTimeOffset.UtcNow + wait;
        while (DateTimeOffset.UtcNow < until)
        {
            var any = false;
            await foreach (var _ in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken))
            {
                any = true;
                break;
            }

            if (!any)
            {
                return true;
            }

            await Task.Delay(1000, cancellationToken);
        }

        return false;
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // a file still held; the system cleans temp folders
        }
    }
}
