using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using FalEmulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Core.Api;
using Pipeline.Core.DependencyInjection;
using Pipeline.Core.Options;
using Pipeline.Core.Storage;
using Pipeline.Http;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.Core.Inbox;
using Pipeline.Core.Webhooks;

namespace Pipeline.IntegrationTests.Support;

/// <summary>
/// The whole pipeline on one machine for a test: the real orchestrator and activities on the in-process Durable Task
/// engine, the same HTTP endpoints as the Functions app (webhook included) on a loopback port, Azurite for blobs, the
/// fal emulator for fal and an Event Grid sink for events. Intervals are seconds, not minutes.
/// </summary>
public sealed class PipelineTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PipelineTestHost(WebApplication app, FalEmulatorHost fal, EventGridSink events, Uri baseAddress)
    {
        _app = app;
        Fal = fal;
        Events = events;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public FalEmulatorHost Fal { get; }

    public EventGridSink Events { get; }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public DurableTaskClient Client => _app.Services.GetRequiredService<DurableTaskClient>();

    public PipelineStorage Storage => _app.Services.GetRequiredService<PipelineStorage>();

    public PipelineOptions Options => _app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PipelineOptions>>().Value;

    public static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <param name="services">A last word on the services (a test adds a gRPC interceptor to the worker).</param>
    public static async Task<PipelineTestHost> StartAsync(AzuriteFixture azurite, Action<Dictionary<string, string?>>? settings = null,
        Action<FalEmulator.Options.FalEmulatorOptions>? fal = null, Action<IServiceCollection>? services = null)
    {
        var emulator = await FalEmulatorHost.StartAsync(o =>
        {
            o.TimeScale = 0.02; // fal's 2 s queue and 8 s run take 0.2 s
            fal?.Invoke(o);
        }, cancellationToken: Token);
        var sink = await EventGridSink.StartAsync();
        for (var attempt = 1; ; attempt++)
        {
            // A free port can be taken (by an outgoing connection) before Kestrel binds it: then try new ones.
            try
            {
                return await StartAppAsync(azurite, emulator, sink, settings, services);
            }
            catch (IOException e) when (attempt < 5 && e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
            }
        }
    }

    private static async Task<PipelineTestHost> StartAppAsync(
        AzuriteFixture azurite,
        FalEmulatorHost emulator,
        EventGridSink sink,
        Action<Dictionary<string, string?>>? settings,
        Action<IServiceCollection>? services)
    {
        var port = LocalHostProcess.FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var values = new Dictionary<string, string?>(PipelineSettings.For(emulator))
        {
            [PipelineStorage.ConnectionName] = azurite.ConnectionString,
            ["Fal:FirstRetryDelay"] = "00:00:00.050",
            ["Pipeline:PublicBaseUrl"] = baseAddress.ToString(),
            ["Pipeline:WebhookWait"] = "00:00:03",
            ["Pipeline:PollInterval"] = "00:00:01",
            ["Pipeline:JobDeadline"] = "00:01:00",
            ["Pipeline:SidecarGrace"] = "00:00:00.500",
            ["Pipeline:LoneRequestWait"] = "00:00:01",
            ["EventGrid:TopicEndpoint"] = sink.TopicEndpoint.ToString(),
            ["EventGrid:TopicKey"] = sink.Key,
        };
        settings?.Invoke(values);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(baseAddress.ToString());
        builder.Configuration.AddInMemoryCollection(values);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        if (Environment.GetEnvironmentVariable("PIPELINE_TEST_LOG") is { Length: > 0 } logFile)
        {
            builder.Logging.AddProvider(new FileLoggerProvider(logFile));
        }
        builder.Services.AddVideoPipeline();
        builder.Services.AddInMemoryDurableTask(
            tasks => tasks.AddPipelineTasks(), new InMemoryDurableTaskOptions { Port = LocalHostProcess.FreePort() });
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapPipelineApi();
        try
        {
            await app.StartAsync(Token);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        await app.Services.GetRequiredService<PipelineStorage>().EnsureContainersAsync(Token);
        return new PipelineTestHost(app, emulator, sink, baseAddress);
    }

    /// <summary>POSTs a job; returns the status code and the JSON answer.</summary>
    public async Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> SubmitAsync(
        string mode, object body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/videos/{mode}") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add(VideosHttpHandlers.IdempotencyKeyHeader, idempotencyKey);
        }

        var response = await Http.SendAsync(request, Token);
        var text = await response.Content.ReadAsStringAsync(Token);
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject(), response);
    }

    /// <summary>
    /// POSTs a job as a form: <paramref name="fields"/> as fields, <paramref name="files"/> as file parts (field, file name, bytes).
    /// </summary>
    public Task<(HttpStatusCode Status, JsonObject Body)> SubmitFormAsync(
        string mode, IReadOnlyDictionary<string, string> fields, params (string Field, string FileName, BinaryData Content)[] files) =>
        SubmitFormAsync(mode, null, fields, files);

    public async Task<(HttpStatusCode Status, JsonObject Body)> SubmitFormAsync(
        string mode,
        string? idempotencyKey,
        IReadOnlyDictionary<string, string> fields,
        params (string Field, string FileName, BinaryData Content)[] files)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        foreach (var (field, fileName, content) in files)
        {
            form.Add(new ByteArrayContent(content.ToArray()), field, fileName);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/videos/{mode}") { Content = form };
        if (idempotencyKey is not null)
        {
            request.Headers.Add(VideosHttpHandlers.IdempotencyKeyHeader, idempotencyKey);
        }

        using var response = await Http.SendAsync(request, Token);
        var text = await response.Content.ReadAsStringAsync(Token);
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    public async Task<JsonObject> GetJobAsync(string id)
    {
        using var response = await Http.GetAsync($"/api/videos/{id}", Token);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!.AsObject();
    }

    /// <summary>Polls the status API until the job is succeeded, failed or cancelled.</summary>
    public async Task<JsonObject> WaitForJobAsync(string id, TimeSpan? timeout = null)
    {
        var until = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var job = await GetJobAsync(id);
            if (job["status"]!.GetValue<string>() is VideoJobStatuses.Succeeded or VideoJobStatuses.Failed or VideoJobStatuses.Cancelled)
            {
                return job;
            }

            if (DateTimeOffset.UtcNow > until)
            {
                var instance = await Client.GetInstanceAsync(id, getInputsAndOutputs: true, Token);
                var falRequest = job["fal_request_id"]?.GetValue<string>() is { } falId ? Fal.Requests.Find(falId) : null;
                var calls = string.Join(", ", Fal.Recorder.Calls.Select(c => $"{c.Kind} {c.StatusCode}"));
                var deliveries = string.Join(", ", Fal.Recorder.Deliveries.Select(d => $"{d.Outcome} {d.StatusCode}"));
                throw new TimeoutException($"job {id} did not finish: {job.ToJsonString()}; "
                    + $"orchestration: {instance?.RuntimeStatus} {instance?.SerializedCustomStatus} {instance?.FailureDetails}; "
                    + $"at fal: {falRequest?.State} {falRequest?.Outcome?.StatusCode}; fal calls: {calls}; "
                    + $"deliveries: {deliveries}; events: {string.Join(", ", Events.Events.Select(e => e.Type))}");
            }

            await Task.Delay(100, Token);
        }
    }

    /// <summary>Drops a file into the inbox and runs what the blob trigger runs.</summary>
    public async Task<string?> DropAsync(string name, BinaryData content, IDictionary<string, string>? metadata = null)
    {
        var blob = Storage.Inbox.GetBlobClient(name);
        await blob.UploadAsync(content, new Azure.Storage.Blobs.Models.BlobUploadOptions { Metadata = metadata }, Token);
        return await TriggerInboxAsync(name);
    }

    /// <summary>What the inbox trigger does for a blob event (call it twice to redeliver the event).</summary>
    public Task<string?> TriggerInboxAsync(string name) =>
        Services.GetRequiredService<InboxJobStarter>().StartAsync(Client, PipelineStorage.InboxContainerName, name, Token);

    public BlobClient VideoBlob(string name) => Storage.Videos.GetBlobClient(name);

    /// <summary>Posts a webhook body for a job as fal would, signed with the emulator's key unless told otherwise.</summary>
    /// <param name="token">The URL's token; by default the job's own (as the pipeline gave fal), "" for none.</param>
    public async Task<HttpResponseMessage> PostWebhookAsync(
        string jobId, string requestId, string body, DateTimeOffset? signedAt = null, bool sign = true, string? token = null)
    {
        token ??= Services.GetRequiredService<WebhookToken>().For(jobId);
        var bytes = System.Text.Encoding.UTF8.GetBytes(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/fal/webhook?job={jobId}&token={token}")
        {
            Content = new ByteArrayContent(bytes),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (sign)
        {
            var signature = Fal.Signer.Sign(requestId, bytes, signedAt ?? DateTimeOffset.UtcNow);
            request.Headers.Add("X-Fal-Webhook-Request-Id", signature.RequestId);
            request.Headers.Add("X-Fal-Webhook-User-Id", signature.UserId);
            request.Headers.Add("X-Fal-Webhook-Timestamp", signature.Timestamp);
            request.Headers.Add("X-Fal-Webhook-Signature", signature.SignatureHex);
        }

        return await Http.SendAsync(request, Token);
    }

    /// <summary>A fal OK body for <paramref name="requestId"/> whose video is at <paramref name="videoUrl"/>.</summary>
    public static string OkWebhookBody(string requestId, string videoUrl) =>
        $$"""{"request_id":"{{requestId}}","gateway_request_id":"{{requestId}}","status":"OK","payload":"""
        + $$"""{"video":{"url":"{{videoUrl}}","content_type":"video/mp4"},"seed":1},"error":null}""";

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Events.DisposeAsync();
        await Fal.DisposeAsync();
    }
}
