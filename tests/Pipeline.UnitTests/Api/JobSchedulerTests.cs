using Pipeline.Core.Storage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using Pipeline.Core.Api;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Requests;
using Pipeline.UnitTests.Fal;
using static Pipeline.UnitTests.Api.ClientHarness;

namespace Pipeline.UnitTests.Api;

public sealed class JobSchedulerTests
{
    private static readonly VideoJob Job = new(
        "inbox-0123456789abcdef0123456789abcdef", VideoMode.ImageToVideo, null,
        new JobSource(JobSourceKind.Inbox, "inbox", "trips/photo.jpg", "0x8DC1"), "trips/photo.mp4",
        new JobTimings(TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(5)),
        new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));

    private readonly ClientHarness _client = new();

    private static JobScheduler Scheduler(PipelineOptions? options = null, TimeProvider? time = null) =>
        new(
            Options.Create(options ?? new PipelineOptions()),
            time ?? TimeProvider.System,
            Index.Object,
            Open.Object,
            Batches,
            Callbacks,
            NullLogger<JobScheduler>.Instance);

    private static readonly PipelineStorage Storage = new(new Azure.Storage.Blobs.BlobServiceClient("UseDevelopmentStorage=true"));

    /// <summary>The jobs here belong to no batch, so the ledger is never called (it would need Azurite).</summary>
    internal static readonly Pipeline.Core.Batches.BatchLedger Batches =
        new(Storage, TimeProvider.System, NullLogger<Pipeline.Core.Batches.BatchLedger>.Instance);

    internal static readonly IOptions<Pipeline.Core.Callbacks.CallbackOptions> Callbacks =
        Options.Create(new Pipeline.Core.Callbacks.CallbackOptions());

    private static readonly Mock<JobIndex> Index = new(Storage);

    private static readonly Mock<OpenJobs> Open = Claims(new Mock<OpenJobs>(Storage));

    /// <summary>Every claim is this request's (no concurrent request for the same job).</summary>
    internal static Mock<OpenJobs> Claims(Mock<OpenJobs> open)
    {
        open.Setup(o => o.TryAddAsync(It.IsAny<string>(), It.IsAny<DateTimeOffset>(), It.IsAny<string?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(true);
        return open;
    }

    private void VerifyScheduled(Times times) =>
        _client.Client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(
            It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), times);

    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Running)]
    [InlineData(OrchestrationRuntimeStatus.Pending)]
    [InlineData(OrchestrationRuntimeStatus.Completed)]
    [InlineData(OrchestrationRuntimeStatus.Failed)]
    public async Task StartAsync_InstanceExists_IsNotScheduledAgain(OrchestrationRuntimeStatus status)
    {
        _client.Instance = Metadata(Job.Id, status);

        var started = await Scheduler().StartAsync(_client.Client.Object, Job, TestContext.Current.CancellationToken);

        Assert.IsType<JobStart.Existed>(started);
        VerifyScheduled(Times.Never());
    }

    [Fact]
    public async Task StartAsync_NewJob_SchedulesTheOrchestratorOnceUnderTheJobIdWithEveryDedupeStatus()
    {
        var started = await Scheduler().StartAsync(_client.Client.Object, Job, TestContext.Current.CancellationToken);

        Assert.IsType<JobStart.Started>(started);
        VerifyScheduled(Times.Once());
        var schedule = Assert.Single(
            _client.Client.Invocations, i => i.Method.Name == nameof(DurableTaskClient.ScheduleNewOrchestrationInstanceAsync));
        Assert.Equal(VideoJobOrchestrator.Name, ((TaskName)schedule.Arguments[0]).Name);
        Assert.Equal(Job, schedule.Arguments[1]); // the job as given (no listener here, so no trace context is added)
        var options = Assert.IsType<StartOrchestrationOptions>(schedule.Arguments[2]);
        Assert.Equal(Job.Id, options.InstanceId);
        Assert.Equal(VideoJobOrchestrator.Version, (string)options.Version!.Value);
        Assert.NotNull(options.DedupeStatuses);
        OrchestrationRuntimeStatus[] every =
        [
            OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended,
            OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated,
        ];
        Assert.Equal(every.Order(), options.DedupeStatuses.Select(Enum.Parse<OrchestrationRuntimeStatus>).Order());
    }

    [Fact]
    public async Task StartAsync_ExistingJobOfADifferentRequest_IsAConflict()
    {
        _client.Instance = Metadata(Job.Id, OrchestrationRuntimeStatus.Running, Job with { RequestFingerprint = "theirs" });

        var started = await Scheduler().StartAsync(
            _client.Client.Object, Job with { RequestFingerprint = "mine" }, TestContext.Current.CancellationToken);

        Assert.IsType<JobStart.Conflict>(started);
        VerifyScheduled(Times.Never());
    }

    [Fact]
    public async Task StartAsync_ClaimedByAConcurrentRequestForTheSameThing_IsThatJobOnceItExists()
    {
        var open = new Mock<OpenJobs>(Storage);
        open.Setup(o => o.TryAddAsync(Job.Id, It.IsAny<DateTimeOffset>(), It.IsAny<string?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(false);
        open.Setup(o => o.FingerprintOfAsync(Job.Id, It.IsAny<CancellationToken>())).ReturnsAsync("same");
        _client.Instances.Enqueue(null); // not there at the first look; the other request starts it meanwhile
        _client.Instance = Metadata(Job.Id, OrchestrationRuntimeStatus.Pending);
        var index = new Mock<JobIndex>(Storage);
        var scheduler = new JobScheduler(
            Options.Create(new PipelineOptions()),
            TimeProvider.System,
            index.Object,
            open.Object,
            Batches,
            Callbacks,
            NullLogger<JobScheduler>.Instance);

        var started = await scheduler.StartAsync(
            _client.Client.Object, Job with { RequestFingerprint = "same" }, TestContext.Current.CancellationToken);

        Assert.IsType<JobStart.Existed>(started);
        VerifyScheduled(Times.Never());
        // one index entry: the other request's
        index.Verify(i => i.AddAsync(It.IsAny<VideoJob>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task StartAsync_ClaimedByAConcurrentRequestForSomethingElse_IsAConflict()
    {
        var open = new Mock<OpenJobs>(Storage);
        open.Setup(o => o.TryAddAsync(Job.Id, It.IsAny<DateTimeOffset>(), It.IsAny<string?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(false);
        open.Setup(o => o.FingerprintOfAsync(Job.Id, It.IsAny<CancellationToken>())).ReturnsAsync("theirs");
        var scheduler = new JobScheduler(
            Options.Create(new PipelineOptions()),
            TimeProvider.System,
            Index.Object,
            open.Object,
            Batches,
            Callbacks,
            NullLogger<JobScheduler>.Instance);

        var started = await scheduler.StartAsync(
            _client.Client.Object, Job with { RequestFingerprint = "mine" }, TestContext.Current.CancellationToken);

        Assert.IsType<JobStart.Conflict>(started);
        VerifyScheduled(Times.Never());
    }

    [Fact]
    public async Task StartAsync_OverACap_StartsNothingAndClosesTheJob()
    {
        var refusal = new Pipeline.Core.Costs.BudgetRefusal("the app's daily budget of $1 would be passed");

        var started = await Scheduler().StartAsync(
            _client.Client.Object,
            Job,
            TestContext.Current.CancellationToken,
            _ => Task.FromResult<Pipeline.Core.Costs.BudgetRefusal?>(refusal));

        Assert.Equal(refusal, Assert.IsType<JobStart.Refused>(started).Refusal);
        VerifyScheduled(Times.Never());
        Open.Verify(o => o.CloseAsync(Job.Id, It.IsAny<CancellationToken>()));
    }

    [Fact]
    public async Task StartAsync_ScheduleThrowsButTheInstanceExistsAfterwards_IsADuplicate()
    {
        _client.Instances.Enqueue(null);
        _client.Instance = Metadata(Job.Id, OrchestrationRuntimeStatus.Running);
        _client.Client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
                It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("An Orchestration instance with the ID already exists."));

        var started = await Scheduler().StartAsync(_client.Client.Object, Job, TestContext.Current.CancellationToken);

        Assert.IsType<JobStart.Existed>(started);
        Assert.Equal(2, _client.Lookups.Count);
    }

    [Fact]
    public async Task StartAsync_ScheduleThrowsAndNoInstanceExists_Rethrows()
    {
        _client.Client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
                It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("sidecar down"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => Scheduler().StartAsync(_client.Client.Object, Job, TestContext.Current.CancellationToken));

        Assert.Equal("sidecar down", error.Message);
    }

    [Fact]
    public async Task StartAsync_CallerCancels_RethrowsWithoutLookingAgain()
    {
        _client.Client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
                It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new OperationCanceledException());

        await Assert.ThrowsAsync<OperationCanceledException>(
            () => Scheduler().StartAsync(_client.Client.Object, Job, TestContext.Current.CancellationToken));

        Assert.Single(_client.Lookups);
    }

    [Fact]
    public void Timings_Always_ComeFromThePipelineOptions()
    {
        var options = new PipelineOptions
        {
            WebhookWait = TimeSpan.FromSeconds(70),
            PollInterval = TimeSpan.FromSeconds(11),
            JobDeadline = TimeSpan.FromMinutes(9),
            SidecarGrace = TimeSpan.FromSeconds(3),
            UnconfirmedSubmitWait = TimeSpan.FromMinutes(4),
            FalUnavailableWait = TimeSpan.FromMinutes(45),
        };

        Assert.Equal(
            new JobTimings(
                TimeSpan.FromSeconds(70),
                TimeSpan.FromSeconds(11),
                TimeSpan.FromMinutes(9),
                TimeSpan.FromSeconds(3),
                TimeSpan.FromMinutes(4),
                FalUnavailableWait: TimeSpan.FromMinutes(45)),
            Scheduler(options).Timings);
    }

    [Fact]
    public void Now_Always_ComesFromTheTimeProvider()
    {
        var now = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

        Assert.Equal(now, Scheduler(time: new FixedTimeProvider(now)).Now);
    }
}
