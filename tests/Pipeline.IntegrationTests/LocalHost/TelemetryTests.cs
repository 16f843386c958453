using Pipeline.Core.Steps;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;
using Pipeline.Core.Api;
using Pipeline.Core.Telemetry;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;
using Pipeline.Core.Webhooks;

namespace Pipeline.IntegrationTests.LocalHost;

/// <summary>
/// The spans and log records of jobs, read with an in-memory exporter from the local host's own telemetry wiring (the
/// pipeline's and Durable Task's sources, as in Azure): one trace per job from the request or the drop through the
/// submit, the webhook, the copy and the event; the job's dimensions on its spans and log lines; no secret anywhere.
/// </summary>
public sealed class TelemetryTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AJob_IsOneTrace_FromItsRequestThroughWebhookCopyAndEvent_WithItsDimensionsEverywhere()
    {
        var spans = new List<Activity>();
        var logs = new List<LogRecord>();
        await using var host = await LocalHostInProcess.StartAsync([], tasks: null, builder =>
        {
            builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
            builder.Services.ConfigureOpenTelemetryLoggerProvider(l => l.AddInMemoryExporter(logs));
        });

        var id = await host.SubmitAsync(
            new { prompt = "A traced lighthouse", resolution = "480p", duration = "4", end_user_id = "tracer" });
        var job = await host.WaitForJobAsync(id);
        var dropped = await host.DropAsync("traced/harbour.jpg", TestFiles.Jpeg);
        await host.WaitForJobAsync(dropped);
        host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        await Task.Delay(500, Token); // the orchestration's span ends with its last episode

        Assert.Equal(VideoJobStatuses.Succeeded, job.Status);
        List<Activity> Snapshot()
        {
            lock (spans)
            {
                return [.. spans];
            }
        }

        // The listener sees every host in this test process, so the request is found through the job's first span.
        var all = Snapshot();
        var ofJob = all.Where(s => Tag(s, PipelineTelemetry.JobId) == id || Tag(s, "durabletask.task.instance_id") == id).ToList();
        var jobStart = Assert.Single(ofJob, s => s.DisplayName == "video_job.start");
        var request = Assert.Single(all, s => s.SpanId == jobStart.ParentSpanId);
        Assert.Equal(ActivityKind.Server, request.Kind);
        Assert.Equal("/api/videos/{mode}", request.GetTagItem("http.route"));
        var trace = request.TraceId;

        // Every span of the job is in the request's trace, and the trace has every step.
        Assert.All(ofJob, s => Assert.True(s.TraceId == trace, $"{s.DisplayName} is in trace {s.TraceId}, not the request's {trace}"));
        string[] steps =
        [
            "video_job.start", JobSteps.Submit, "fal.webhook", JobSteps.Store, "orchestration:VideoJob", $"activity:{JobSteps.Submit}",
            $"activity:{JobSteps.Store}",
        ];
        foreach (var step in steps)
        {
            Assert.Contains(ofJob, s => s.DisplayName == step || s.DisplayName.StartsWith(step + "@", StringComparison.Ordinal));
        }

        // fal's webhook came in a trace of its own (fal sends no trace context): its step joined the job's, linked to it.
        var webhook = Assert.Single(ofJob, s => s.DisplayName == "fal.webhook");
        var delivery = Assert.Single(all, s => s.Kind == ActivityKind.Server && s.GetTagItem("http.route") is "/api/fal/webhook"
                                               && webhook.Links.Any(l => l.Context.SpanId == s.SpanId));
        Assert.NotEqual(trace, delivery.TraceId);

        // The job's dimensions on its pipeline spans.
        var submit = Assert.Single(ofJob, s => s.DisplayName == JobSteps.Submit);
        Assert.Equal(job.FalRequestId, Tag(submit, PipelineTelemetry.FalRequestId));
        Assert.Equal("text-to-video", Tag(submit, PipelineTelemetry.JobMode));
        Assert.Equal("tracer", Tag(submit, PipelineTelemetry.EndUserId));
        Assert.Equal(job.FalRequestId, Tag(webhook, PipelineTelemetry.FalRequestId));

        // An inbox job is a trace of its own, started at its drop.
        var inbox = all.Where(s => Tag(s, PipelineTelemetry.JobId) == dropped || Tag(s, "durabletask.task.instance_id") == dropped)
            .ToList();
        var start = Assert.Single(inbox, s => s.DisplayName == "video_job.start");
        Assert.All(inbox, s => Assert.Equal(start.TraceId, s.TraceId));
        Assert.Contains(inbox, s => s.DisplayName == JobSteps.Store);
        Assert.NotEqual(trace, start.TraceId);

        // Log lines written for the job carry its id (and what was known) as attributes.
        List<LogRecord> records;
        lock (logs)
        {
            records = [.. logs];
        }

        var ended = Assert.Single(records, r => r.FormattedMessage?.StartsWith($"Job {id} ", StringComparison.Ordinal) == true
                                                && r.FormattedMessage.Contains("ended", StringComparison.Ordinal));
        Assert.Equal(id, Scope(ended, PipelineTelemetry.JobId));
        Assert.Equal("text-to-video", Scope(ended, PipelineTelemetry.JobMode));
        var stepLines = records
            .Where(r => r.CategoryName?.StartsWith("Pipeline.Core.Activities", StringComparison.Ordinal) == true && r.TraceId == trace)
            .ToList();
        Assert.NotEmpty(stepLines);
        Assert.All(stepLines, r => Assert.Equal(id, Scope(r, PipelineTelemetry.JobId)));

        // No secret in any span or log record.
        var texts = all.SelectMany(s => s.TagObjects.Select(t => $"{t.Key}={t.Value}").Append(s.DisplayName))
            .Concat(records.Select(r => r.FormattedMessage ?? ""))
            .ToList();
        var token = host.Services.GetRequiredService<WebhookToken>().For(id);
        foreach (var secret in new[] { host.Fal.ApiKey.Split(':')[1], AzuriteFixture.AccountKey, "sig=", token })
        {
            Assert.DoesNotContain(texts, t => t.Contains(secret, StringComparison.Ordinal));
        }
    }

    private static string? Tag(Activity span, string key) => span.GetTagItem(key)?.ToString();

    private static string? Scope(LogRecord record, string key)
    {
        string? found = null;
        record.ForEachScope((scope, _) =>
        {
            foreach (var (k, v) in scope)
            {
                if (k == key)
                {
                    found = v?.ToString();
                }
            }
        }, (object?)null);
        return found;
    }
}
