using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using Pipeline.Core.Options;
using Pipeline.Core.Storage;
using Pipeline.Core.Telemetry;

namespace Pipeline.Core.Events;

/// <summary>
/// Job events delivered at least once, whatever Event Grid does. An event is published at once; when the topic does
/// not take it within <see cref="EventGridOptions.PublishTimeout"/>, it is kept in storage
/// (<c>jobs/events/{job}/{n}-{type}.json</c>) and the job goes on without waiting. <see cref="SweepAsync"/> (every
/// minute in Azure, more often locally) offers kept events again, in each job's order, with the same CloudEvent id,
/// every 30 s doubling to 10 min, for <see cref="EventGridOptions.RetryFor"/>; what is still undelivered shows in the
/// job's status, in a metric and in the log, and survives restarts.
/// </summary>
public partial class EventOutbox(
    PipelineStorage storage,
    JobEventPublisher publisher,
    IOptions<EventGridOptions> options,
    TimeProvider time,
    ILogger<EventOutbox> logger)
{
    private const string Prefix = "events/";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(10);

    /// <summary>Whether the last sweep found the topic failing: the log says so once per outage.</summary>
    private bool _failing;

    /// <summary>
    /// Publishes the event, or keeps it; <paramref name="queueBehind"/> keeps it at once (an earlier event of the job
    /// waits).
    /// </summary>
    public virtual async Task<AnnounceOutcome> AnnounceAsync(JobEvent jobEvent, bool queueBehind, CancellationToken cancellationToken)
    {
        var problem = queueBehind ? "an earlier event of the job waits in the outbox" : await TryPublishAsync(jobEvent, cancellationToken);
        if (problem is null)
        {
            return AnnounceOutcome.Delivered;
        }

        await KeepAsync(jobEvent, problem, cancellationToken);
        return AnnounceOutcome.Kept;
    }

    /// <summary>The job's events that wait in the outbox (or were given up), in order.</summary>
    public virtual async Task<IReadOnlyList<KeptEvent>> ListAsync(string jobId, CancellationToken cancellationToken)
    {
        var kept = new List<KeptEvent>();
        await foreach (var item in storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{Prefix}{jobId}/" }, cancellationToken))
        {
            if (await ReadAsync(item.Name, cancellationToken) is { } entry)
            {
                kept.Add(entry.Kept);
            }
        }

        return kept;
    }

    /// <summary>Deletes the job's kept events: only for a job being purged.</summary>
    public virtual async Task ForgetAsync(string jobId, CancellationToken cancellationToken)
    {
        await foreach (var item in storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{Prefix}{jobId}/" }, cancellationToken))
        {
            await storage.Jobs.DeleteBlobIfExistsAsync(item.Name, cancellationToken: cancellationToken);
        }
    }

    /// <summary>Offers every kept event that is due again, each job's in order; returns what it did.</summary>
    public virtual async Task<OutboxSweep> SweepAsync(CancellationToken cancellationToken)
    {
        var sweep = new OutboxSweep(0, 0);
        string? blockedJob = null;
        string? failure = null;
        await foreach (var item in storage.Jobs.GetBlobsAsync(new GetBlobsOptions { Prefix = Prefix }, cancellationToken))
        {
            var jobId = item.Name.Split('/')[1];
            var entry = await ReadAsync(item.Name, cancellationToken);
            if (entry is null)
            {
                continue;
            }

            if (jobId == blockedJob || entry.Value.Kept.GaveUpAt is not null || entry.Value.Kept.NextAttemptAt > time.GetUtcNow())
            {
                blockedJob = entry.Value.Kept.GaveUpAt is null ? jobId : blockedJob; // the job's later events wait behind this one
                sweep = sweep with { Waiting = sweep.Waiting + 1 };
                continue;
            }

            var problem = await OfferAsync(item.Name, entry.Value, cancellationToken);
            sweep = problem is null ? sweep with { Delivered = sweep.Delivered + 1 } : sweep with { Waiting = sweep.Waiting + 1 };
            failure ??= problem;
            blockedJob = problem is null ? blockedJob : jobId;
        }

        PipelineMetrics.Undelivered(sweep.Waiting);
        NoteOutage(sweep, failure);
        return sweep;
    }

    private async Task<string?> OfferAsync(string name, (KeptEvent Kept, ETag ETag) entry, CancellationToken cancellationToken)
    {
        var (kept, etag) = entry;
        var problem = await TryPublishAsync(kept.Event, cancellationToken);
        var now = time.GetUtcNow();
        if (problem is null)
        {
            await storage.Jobs.DeleteBlobIfExistsAsync(
                name, conditions: new BlobRequestConditions { IfMatch = etag }, cancellationToken: cancellationToken);
            PipelineMetrics.EventsDeliveredLate.Add(1);
            LogDeliveredLate(kept.Event.Type, kept.Event.Data.Id, kept.Attempts + 1, now - kept.KeptAt);
            return null;
        }

        var attempts = kept.Attempts + 1;
        var delay = TimeSpan.FromTicks(Math.Min(FirstRetryDelay.Ticks << Math.Min(attempts - 1, 10), MaxRetryDelay.Ticks));
        var gaveUp = now - kept.KeptAt >= options.Value.RetryFor ? now : (DateTimeOffset?)null;
        var updated = kept with { Attempts = attempts, LastError = problem, NextAttemptAt = now + delay, GaveUpAt = gaveUp };
        await WriteAsync(name, updated, new BlobRequestConditions { IfMatch = etag }, cancellationToken);
        if (gaveUp is not null)
        {
            PipelineMetrics.EventsGivenUp.Add(1);
            LogGaveUp(kept.Event.Type, kept.Event.Data.Id, attempts, options.Value.RetryFor, problem);
        }

        return problem;
    }

    /// <summary>
    /// One delivery, bounded by <see cref="EventGridOptions.PublishTimeout"/>; null when the topic took it, else why
    /// not.
    /// </summary>
    private async Task<string?> TryPublishAsync(JobEvent jobEvent, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishTimeout);
        try
        {
            await publisher.PublishAsync(jobEvent, timeout.Token);
            return null;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return e is OperationCanceledException ? $"Event Grid did not answer within {options.Value.PublishTimeout}" : e.Message;
        }
    }

    /// <summary>Keeps the event, due at the next sweep; each offer that fails waits longer (30 s, doubling to 10 min).</summary>
    private async Task KeepAsync(JobEvent jobEvent, string problem, CancellationToken cancellationToken)
    {
        var kept = new KeptEvent(jobEvent, time.GetUtcNow(), 0, problem, time.GetUtcNow());
        try
        {
            // Only if absent: a rerun of the step must not reset an entry the sweep has already offered.
            await WriteAsync(NameOf(jobEvent), kept, new BlobRequestConditions { IfNoneMatch = ETag.All }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return;
        }

        PipelineMetrics.EventsKept.Add(1);
        LogKept(jobEvent.Type, jobEvent.Data.Id, problem);
    }

    private async Task WriteAsync(string name, KeptEvent kept, BlobRequestConditions conditions, CancellationToken cancellationToken) =>
        await storage.Jobs.GetBlobClient(name).UploadAsync(
            BinaryData.FromObjectAsJson(kept, Json),
            new BlobUploadOptions { Conditions = conditions, HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } },
            cancellationToken);

    private async Task<(KeptEvent Kept, ETag ETag)?> ReadAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var content = await storage.Jobs.GetBlobClient(name).DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToObjectFromJson<KeptEvent>(Json) is { } kept ? (kept, content.Value.Details.ETag) : null;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null; // delivered by a sweep that ran alongside
        }
    }

    /// <summary>
    /// <c>events/{job}/1-submitted.json</c> before <c>events/{job}/2-succeeded.json</c>: the listing's order is the
    /// job's.
    /// </summary>
    private static string NameOf(JobEvent jobEvent) =>
        $"{Prefix}{jobEvent.Data.Id}/{(jobEvent.Type == JobEventTypes.Submitted ? 1 : 2)}-"
        + $"{jobEvent.CloudEventId[(jobEvent.Data.Id.Length + 1)..]}.json";

    /// <summary>One line when the topic starts failing the sweep, one when it takes events again.</summary>
    private void NoteOutage(OutboxSweep sweep, string? failure)
    {
        if (failure is not null && !_failing)
        {
            _failing = true;
            LogTopicFailing(sweep.Waiting, failure);
        }
        else if (failure is null && _failing && sweep.Delivered > 0)
        {
            _failing = false;
            LogTopicBack(sweep.Delivered, sweep.Waiting);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Type} for job {JobId} kept in the outbox for later delivery ({Reason})")]
    private partial void LogKept(string type, string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "{Type} for job {JobId} delivered from the outbox (attempt {Attempts}, {Late} late)")]
    private partial void LogDeliveredLate(string type, string jobId, int attempts, TimeSpan late);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Type} for job {JobId} given up after {Attempts} attempts over {RetryFor}: {Reason}")]
    private partial void LogGaveUp(string type, string jobId, int attempts, TimeSpan retryFor, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Event Grid is not taking events ({Reason}); {Waiting} wait in the outbox and are offered again")]
    private partial void LogTopicFailing(int waiting, string reason);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Event Grid takes events again: {Delivered} delivered from the outbox, {Waiting} still waiting")]
    private partial void LogTopicBack(int delivered, int waiting);
}

/// <summary>What one sweep of the outbox did: events delivered, and events still waiting (given up ones included).</summary>
public sealed record OutboxSweep(int Delivered, int Waiting);
