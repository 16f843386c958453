using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Pipeline.IntegrationTests.Events;

/// <summary>
/// Job events delivered at least once whatever Event Grid does (<see cref="EventOutbox"/>, on Azurite): an event the
/// topic refuses is kept and offered again with the same CloudEvent id, in its job's order, until it is taken or its
/// retry time runs out; the job never waits for the topic, and what waits shows in its status.
/// </summary>
public sealed class EventOutboxTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ARefusedEvent_IsKeptAndDeliveredLaterWithTheSameId()
    {
        var (outbox, topic, clock) = await OutboxAsync();
        var submitted = Event(JobEventTypes.Submitted, out var jobId);
        topic.Down = true;

        Assert.Equal(AnnounceOutcome.Kept, await outbox.AnnounceAsync(submitted, queueBehind: false, Token));
        Assert.Equal(0, (await outbox.SweepAsync(Token)).Delivered); // still down
        var waiting = Assert.Single(await outbox.ListAsync(jobId, Token));
        Assert.Equal(1, waiting.Attempts);
        topic.Down = false;
        Assert.Equal(0, (await outbox.SweepAsync(Token)).Delivered); // not due yet: 30 s after the failed offer
        clock.Ahead += TimeSpan.FromSeconds(31);
        await outbox.SweepAsync(Token);

        Assert.Equal([submitted.CloudEventId], topic.Of(jobId).Select(e => e.CloudEventId));
        Assert.Empty(await outbox.ListAsync(jobId, Token));
    }

    [Fact]
    public async Task EventsOfAJob_AreDeliveredInTheJobsOrder()
    {
        var (outbox, topic, clock) = await OutboxAsync();
        var submitted = Event(JobEventTypes.Submitted, out var jobId);
        var succeeded = submitted with { Type = JobEventTypes.Succeeded };
        topic.Down = true;
        await outbox.AnnounceAsync(submitted, queueBehind: false, Token);
        topic.Down = false;
        await outbox.AnnounceAsync(succeeded, queueBehind: true, Token); // the job knew the first waits: it does not overtake it

        Assert.Empty(topic.Of(jobId));
        await outbox.SweepAsync(Token);

        Assert.Equal([JobEventTypes.Submitted, JobEventTypes.Succeeded], topic.Of(jobId).Select(e => e.Type));
        Assert.Empty(await outbox.ListAsync(jobId, Token));
    }

    [Fact]
    public async Task AnEventTheTopicRefusesForLongerThanItsRetryTime_IsGivenUpAndStaysVisible()
    {
        var (outbox, topic, clock) = await OutboxAsync(retryFor: TimeSpan.FromHours(1));
        var failed = Event(JobEventTypes.Failed, out var jobId);
        topic.Down = true;
        await outbox.AnnounceAsync(failed, queueBehind: false, Token);

        for (var hour = 0; hour < 8; hour++)
        {
            clock.Ahead += TimeSpan.FromMinutes(10);
            await outbox.SweepAsync(Token);
        }

        var kept = Assert.Single(await outbox.ListAsync(jobId, Token));
        Assert.NotNull(kept.GaveUpAt);
        Assert.InRange(kept.Attempts, 6, 9);
        Assert.True(UndeliveredEvent.Of(kept).GaveUp);
        topic.Down = false;
        clock.Ahead += TimeSpan.FromHours(1);
        await outbox.SweepAsync(Token);
        Assert.Empty(topic.Of(jobId)); // given up is final
    }

    [Fact]
    public async Task AStepThatRunsAgain_DoesNotResetAKeptEvent()
    {
        var (outbox, topic, _) = await OutboxAsync();
        var submitted = Event(JobEventTypes.Submitted, out var jobId);
        topic.Down = true;
        await outbox.AnnounceAsync(submitted, queueBehind: false, Token);
        await outbox.SweepAsync(Token);

        await outbox.AnnounceAsync(submitted, queueBehind: false, Token);

        Assert.Equal(1, Assert.Single(await outbox.ListAsync(jobId, Token)).Attempts);
    }

    [Fact]
    public async Task EventGridDownForAJob_TheJobSucceedsAndItsEventsArriveOnceItIsBack()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        host.Events.FailNext(int.MaxValue, 503);

        var (_, accepted, _) = await host.SubmitAsync(
            "text-to-video",
            new { prompt = "A kite over the dunes", resolution = "480p", duration = "4" });
        var id = accepted["id"]!.GetValue<string>();
        var job = await host.WaitForJobAsync(id);

        Assert.Equal("succeeded", job["status"]!.GetValue<string>()); // the job never waited for the topic
        var undelivered = job["undelivered_events"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()).ToList();
        Assert.Equal([$"{id}.submitted", $"{id}.succeeded"], undelivered);
        host.Events.FailNext(0);
        await host.Services.GetRequiredService<EventOutbox>().SweepAsync(Token);

        var events = await host.Events.WaitForAsync(e => e.Count(x => x.Id.StartsWith(id, StringComparison.Ordinal)) == 2);
        Assert.Equal(
            [$"{id}.submitted", $"{id}.succeeded"],
            events.Where(e => e.Id.StartsWith(id, StringComparison.Ordinal)).Select(e => e.Id));
        Assert.Null((await host.GetJobAsync(id))["undelivered_events"]);
    }

    private async Task<(EventOutbox Outbox, FakeTopic Topic, MovableClock Clock)> OutboxAsync(TimeSpan? retryFor = null)
    {
        var storage = new PipelineStorage(azurite.BlobServiceClient);
        await storage.EnsureContainersAsync(Token);
        var topic = new FakeTopic();
        var clock = new MovableClock();
        var options = MsOptions.Create(new EventGridOptions
        {
            RetryFor = retryFor ?? TimeSpan.FromHours(24),
            PublishTimeout = TimeSpan.FromSeconds(2),
        });
        return (new EventOutbox(storage, topic, options, clock, NullLogger<EventOutbox>.Instance), topic, clock);
    }

    private static JobEvent Event(string type, out string jobId)
    {
        jobId = JobIds.New();
        var data = new JobEventData(
            jobId, VideoMode.TextToVideo, "http", "fal-req-1", null, null, null, new JobTimeline(DateTimeOffset.UtcNow, null, null, null));
        return new JobEvent(type, $"videos/{jobId}", DateTimeOffset.UtcNow, data);
    }

    /// <summary>A topic that takes events or refuses them (503), as a test says.</summary>
    private sealed class FakeTopic()
        : JobEventPublisher(null, MsOptions.Create(new PipelineOptions()), NullLogger<JobEventPublisher>.Instance)
    {
        private readonly List<JobEvent> _delivered = [];

        public bool Down { get; set; }

        /// <summary>What the topic took of one job (a sweep offers every job's events in the shared storage).</summary>
        public IReadOnlyList<JobEvent> Of(string jobId) => [.. Delivered.Where(e => e.Data.Id == jobId)];

        public IReadOnlyList<JobEvent> Delivered
        {
            get
            {
                lock (_delivered)
                {
                    return [.. _delivered];
                }
            }
        }

        public override Task PublishAsync(JobEvent jobEvent, CancellationToken cancellationToken)
        {
            if (Down)
            {
                throw new Azure.RequestFailedException(503, "Event Grid is unavailable");
            }

            lock (_delivered)
            {
                _delivered.Add(jobEvent);
            }

            return Task.CompletedTask;
        }
    }

    private sealed class MovableClock : TimeProvider
    {
        public TimeSpan Ahead { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Ahead;
    }
}
