using System.Diagnostics;
using System.Reflection;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Pipeline.Core.Fal;
using Pipeline.Core.Options;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Health;

/// <summary>
/// Looks at what a job needs, now: the storage containers (one call each) and the task hub (one instance read), each
/// within <see cref="Timeout"/>; fal and Event Grid are read from the configuration only — a call to either could
/// cost money or publish an event.
/// </summary>
public class HealthCheck(
    PipelineStorage storage, IConfiguration configuration, IOptions<FalQueueClientOptions> fal, IOptions<FalWebhookOptions> webhooks,
    IOptions<PipelineOptions> pipeline, IOptions<EventGridOptions> events)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static readonly string[] Containers =
        [
            PipelineStorage.InboxContainerName,
            PipelineStorage.VideosContainerName,
            PipelineStorage.UploadsContainerName,
            PipelineStorage.JobsContainerName,
        ];

    private static readonly string? Version =
        typeof(HealthCheck).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    public virtual async Task<HealthReport> CheckAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        var storageCheck = CheckStorageAsync(cancellationToken);
        var taskHubCheck = CheckTaskHubAsync(client, cancellationToken);
        var (storageHealth, taskHub) = (await storageCheck, await taskHubCheck);
        var key = FalKey.StateOf(fal.Value.Key);
        var falHealth = new FalHealth(
            key == FalKeyState.Set ? HealthReport.Healthy : HealthReport.Unhealthy,
            fal.Value.BaseUrl.GetLeftPart(UriPartial.Authority),
            FalKey.Describe(key),
            pipeline.Value.PublicBaseUrl is not null,
            webhooks.Value.VerifySignatures,
            !string.IsNullOrEmpty(fal.Value.AdminKey));
        var eventsHealth = events.Value.TopicEndpoint is { } topic
            ? new EventsHealth(
                "configured",
                topic.Host,
                string.IsNullOrEmpty(events.Value.TopicKey) ? "managed_identity" : "key",
                pipeline.Value.EventSource)
            : new EventsHealth("not_configured", null, null, pipeline.Value.EventSource);
        var healthy = storageHealth.Status == HealthReport.Healthy
            && taskHub.Status == HealthReport.Healthy
            && falHealth.Status == HealthReport.Healthy;
        return new HealthReport(
            healthy ? HealthReport.Healthy : HealthReport.Unhealthy, Version, storageHealth, taskHub, eventsHealth, falHealth);
    }

    private async Task<StorageHealth> CheckStorageAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            var exists = await Task.WhenAll(Containers.Select(c => storage.Service.GetBlobContainerClient(c).ExistsAsync(timeout.Token)));
            var missing = Containers.Where((_, i) => !exists[i].Value).ToList();
            return new StorageHealth(
                missing.Count == 0 ? HealthReport.Healthy : HealthReport.Unhealthy,
                storage.Service.AccountName,
                missing,
                clock.ElapsedMilliseconds,
                null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new StorageHealth(HealthReport.Unhealthy, storage.Service.AccountName, [], clock.ElapsedMilliseconds, Describe(e));
        }
    }

    private async Task<TaskHubHealth> CheckTaskHubAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var name = configuration["TASKHUB_NAME"];
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            // A read of an id no job can have: a round trip to the backend's instance store, nothing written.
            await client.GetInstanceAsync("health-probe", timeout.Token);
            return new TaskHubHealth(HealthReport.Healthy, name, clock.ElapsedMilliseconds, null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new TaskHubHealth(HealthReport.Unhealthy, name, clock.ElapsedMilliseconds, Describe(e));
        }
    }

    /// <summary>The kind of failure, never its message (which may quote a URL or a header).</summary>
    private static string Describe(Exception e) => e switch
    {
        Azure.RequestFailedException failed => $"storage answered {failed.Status} {failed.ErrorCode}".TrimEnd(),
        OperationCanceledException => $"no answer within {Timeout.TotalSeconds:0} s",
        _ => e.GetType().Name,
    };
}
