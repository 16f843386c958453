using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
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
using Pipeline.Core.Storage;
using Pipeline.UnitTests.Fal;
using static Pipeline.UnitTests.Api.ClientHarness;

namespace Pipeline.UnitTests.Api;

/// <summary>
/// The API's logic over a mocked client. Storage is a development-storage client that is never called: with an
/// account key a SAS is computed locally, and without a video no blob is touched.
/// </summary>
public sealed class VideoJobServiceTests : IDisposable
{
    private const string Id = "inbox-0123456789abcdef0123456789abcdef";
    private const string FalRequestId = "fal-req-0001";

    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 10, 0, TimeSpan.Zero);

    private static readonly VideoJob Job = new(
        Id, VideoMode.ImageToVideo, null, new JobSource(JobSourceKind.Inbox, "inbox", "trips/photo.jpg", "0x8DC1"), "trips/photo.mp4",
        new JobTimings(TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(5)),
        new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));

    private static readonly StoredVideo Video = new(
        "videos/trips/photo.mp4", "http://127.0.0.1:10000/devstoreaccount1/videos/trips/photo.mp4", "video/mp4", 1_843_211);

    private readonly ClientHarness _client = new();
    private readonly PipelineStorage _storage = new(new BlobServiceClient("UseDevelopmentStorage=true"));
    private readonly BlobUrlSigner _signer;

    private Mock<JobIndex> Index { get; }

    /// <summary>No cap is passed unless a test says so.</summary>
    private Mock<Pipeline.Core.Costs.UsageLedger> Ledger { get; } = new(
        new PipelineStorage(new BlobServiceClient("UseDevelopmentStorage=true")), Options.Create(new Pipeline.Core.Costs.CostOptions()));

    /// <summary>No event waits in the outbox, and the reconciler decided no job, unless a test says so.</summary>
    private Mock<Pipeline.Core.Events.EventOutbox> Outbox { get; } = Mocks.Outbox();

    private Mock<Pipeline.Core.Housekeeping.ReconciledOutcomes> Outcomes { get; } = Mocks.Outcomes();

    private static class Mocks
    {
        public static Mock<Pipeline.Core.Events.EventOutbox> Outbox()
        {
            var storage = new PipelineStorage(new BlobServiceClient("UseDevelopmentStorage=true"));
            var outbox = new Mock<Pipeline.Core.Events.EventOutbox>(
                storage,
                null!,
                Options.Create(new Pipeline.Core.Options.EventGridOptions()),
                TimeProvider.System,
                Microsoft.Extensions.Logging.Abstractions.NullLogger<Pipeline.Core.Events.EventOutbox>.Instance);
            outbox.Setup(o => o.ListAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync([]);
            return outbox;
        }

        public static Mock<Pipeline.Core.Housekeeping.ReconciledOutcomes> Outcomes()
        {
            var outcomes = new Mock<Pipeline.Core.Housekeeping.ReconciledOutcomes>(
                new PipelineStorage(new BlobServiceClient("UseDevelopmentStorage=true")));
            outcomes.Setup(o => o.ReadAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync((VideoJobResult?)null);
            return outcomes;
        }
    }

    public VideoJobServiceTests()
    {
        _signer = new BlobUrlSigner(_storage, new FixedTimeProvider(Now));
        Index = new Mock<JobIndex>(_storage);
    }

    public void Dispose() => _signer.Dispose();

    private VideoJobService Service(TimeSpan? videoUrlSasLifetime = null)
    {
        var options = Options.Create(new PipelineOptions { VideoUrlSasLifetime = videoUrlSasLifetime ?? TimeSpan.Zero });
        return new VideoJobService(
            new JobScheduler(
                options,
                new FixedTimeProvider(Now),
                Index.Object,
                JobSchedulerTests.Claims(new Mock<OpenJobs>(_storage)).Object,
                JobSchedulerTests.Batches,
                JobSchedulerTests.Callbacks,
                NullLogger<JobScheduler>.Instance),
            Index.Object,
            new UploadStore(_storage),
            _storage,
            _signer,
            options,
            new Pipeline.Core.Costs.PriceTable(Options.Create(new Pipeline.Core.Costs.CostOptions())),
            Ledger.Object,
            JobSchedulerTests.Batches,
            JobSchedulerTests.Callbacks,
            Outbox.Object,
            Outcomes.Object);
    }

    private static VideoJobResult Result(JobOutcome outcome, StoredVideo? video = null, JobError? error = null, long? seed = null) =>
        new(Id, VideoMode.ImageToVideo, outcome, FalRequestId, video, seed, error, Job.CreatedAt)
        {
            FalCompletedAt = Job.CreatedAt.AddMinutes(2), FinishedAt = Job.CreatedAt.AddMinutes(3),
        };

    private Task<VideoJobView?> GetAsync(VideoJobService? service = null, string id = Id) =>
        (service ?? Service()).GetAsync(_client.Client.Object, id, TestContext.Current.CancellationToken);

    // ---- GetAsync: running jobs ----

    [Fact]
    public async Task GetAsync_QueuedAtFal_IsQueuedWithQueuePosition()
    {
        _client.Instance = Metadata(
            Id,
            OrchestrationRuntimeStatus.Running,
            Job,
            customStatus: new JobProgress(JobStages.Queued, VideoMode.ImageToVideo, FalRequestId, 4));

        var view = await GetAsync();

        Assert.NotNull(view);
        Assert.Equal(VideoJobStatuses.Queued, view.Status);
        Assert.Equal(JobStages.Queued, view.Stage);
        Assert.Equal(4, view.QueuePosition);
        Assert.Equal(FalRequestId, view.FalRequestId);
        Assert.Equal("inbox/trips/photo.jpg", view.Source);
        Assert.Null(view.Video);
        Assert.Null(view.Error);
        Assert.Equal(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero), view.CreatedAt);
        Assert.Equal(new DateTimeOffset(2026, 5, 1, 12, 3, 0, TimeSpan.Zero), view.UpdatedAt);
        Assert.True(Assert.Single(_client.Lookups).GetInputsAndOutputs);
    }

    [Theory]
    [InlineData(JobStages.Running)]
    [InlineData(JobStages.Storing)]
    [InlineData(JobStages.Finishing)]
    [InlineData(JobStages.Cancelling)]
    public async Task GetAsync_RunningAtFalOrLater_IsRunning(string stage)
    {
        _client.Instance = Metadata(
            Id, OrchestrationRuntimeStatus.Running, Job, customStatus: new JobProgress(stage, VideoMode.ImageToVideo, FalRequestId));

        var view = await GetAsync();

        Assert.Equal(VideoJobStatuses.Running, view?.Status);
        Assert.Equal(stage, view?.Stage);
        Assert.Null(view?.QueuePosition);
    }

    [Theory]
    [InlineData(JobStages.Preparing)]
    [InlineData(JobStages.Submitting)]
    public async Task GetAsync_BeforeFalHasTheJob_IsQueued(string stage)
    {
        _client.Instance = Metadata(
            Id, OrchestrationRuntimeStatus.Running, Job, customStatus: new JobProgress(stage, VideoMode.ImageToVideo));

        var view = await GetAsync();

        Assert.Equal(VideoJobStatuses.Queued, view?.Status);
        Assert.Null(view?.FalRequestId);
    }

    [Fact]
    public async Task GetAsync_PendingWithoutCustomStatus_IsQueuedWithTheInputsModeAndSource()
    {
        _client.Instance = Metadata(Id, OrchestrationRuntimeStatus.Pending, Job);

        var view = await GetAsync();

        Assert.Equal(VideoJobStatuses.Queued, view?.Status);
        Assert.Null(view?.Stage);
        Assert.Equal(VideoMode.ImageToVideo, view?.Mode);
        Assert.Equal("inbox/trips/photo.jpg", view?.Source);
    }

    [Fact]
    public async Task GetAsync_ModeSettledBySidecar_ShowsTheCustomStatusMode()
    {
        _client.Instance = Metadata(
            Id, OrchestrationRuntimeStatus.Running, Job, customStatus: new JobProgress(JobStages.Submitting, VideoMode.ReferenceToVideo));

        Assert.Equal(VideoMode.ReferenceToVideo, (await GetAsync())?.Mode);
    }

    // ---- GetAsync: finished jobs ----

    [Fact]
    public async Task GetAsync_CompletedSucceeded_IsSucceededWithVideoAndSeed()
    {
        _client.Instance = Metadata(Id, OrchestrationRuntimeStatus.Completed, Job, Result(JobOutcome.Succeeded, Video, seed: 42),
            new JobProgress(JobStages.Finishing, VideoMode.ImageToVideo, FalRequestId, QueuePosition: 3));

        var view = await GetAsync();

        Assert.NotNull(view);
        Assert.Equal(VideoJobStatuses.Succeeded, view.Status);
        Assert.Equal(Video, view.Video);
        Assert.Equal(42, view.Seed);
        Assert.Equal(FalRequestId, view.FalRequestId);
        Assert.Null(view.Stage);
        Assert.Null(view.QueuePosition);
        Assert.Null(view.Error);
    }

    [Fact]
    public async Task GetAsync_CompletedSucceededWithSasLifetime_GivesAReadOnlySasUrlOfTheVideoBlob()
    {
        _client.Instance = Metadata(Id, OrchestrationRuntimeStatus.Completed, Job, Result(JobOutcome.Succeeded, Video));

        var view = await GetAsync(Service(TimeSpan.FromHours(1)));

        var url = new Uri(view!.Video!.Url);
        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1/videos/trips/photo.mp4", url.GetLeftPart(UriPartial.Path));
        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        Assert.Equal("r", query["sp"]);
        Assert.Equal("b", query["sr"]);
        Assert.False(string.IsNullOrEmpty(query["sig"]));
        Assert.Equal(Now.AddHours(1), DateTimeOffset.Parse(query["se"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Video with { Url = view.Video.Url }, view.Video);
    }

    [Fact]
    public async Task GetAsync_CompletedFailed_IsFailedWithTheJobsError()
    {
        var error = new JobError("fal_error", "Unprocessable Entity: image_url: Failed to download the file");
        _client.Instance = Metadata(Id, OrchestrationRuntimeStatus.Completed, Job, Result(JobOutcome.Failed, error: error, seed: 7));

        var view = await GetAsync();

        Assert.Equal(VideoJobStatuses.Failed, view?.Status);
        Assert.Equal(error, view?.Error);
        Assert.Null(view?.Video);
        Assert.Equal(7, view?.Seed);
    }

    [Fact]
    public async Task GetAsync_CompletedCancelled_IsCancelledWithTheJobsError()
    {
        var error = new JobError("cancelled", "the job was cancelled by request");
        _client.Instance = Metadata(Id, OrchestrationRuntimeStatus.Completed, Job, Result(JobOutcome.Cancelled, error: error));

        var view = await GetAsync();

        Assert.Equal(VideoJobStatuses.Cancelled, view?.Status);
        Assert.Equal(error, view?.Error);
    }

    [Fact]
    public async Task GetAsync_CompletedSuperseded_IsCancelledAsSuperseded()
    {
        _client.Instance = Metadata(Id, OrchestrationRuntimeStatus.Completed, Job, Result(JobOutcome.Superseded));

        var view = await GetAsync();

        Assert.Equal(VideoJobStatuses.Cancelled, view?.Status);
        Assert.Equal("superseded", view?.Error?.Code);
    }

    [Fact]
    public async Task GetAsync_OrchestrationFailed_IsFailedWithInternalErrorAndTheFailureMessage()
    {
        _client.Instance = Metadata(Id, OrchestrationRuntimeStatus.Failed, Job,
            failure: new TaskFailureDetails("System.NullReferenceException", "Object reference not set", null, null, null));

        var view = await GetAsync();

        Assert.Equal(VideoJobStatuses.Failed, view?.Status);
        Assert.Equal(new JobError("internal_error", "Object reference not set"), view?.Error);
    }

    [Fact]
    public async Task GetAsync_Terminated_IsCancelledAsTerminated()
    {
        _client.Instance = Metadata(Id, OrchestrationRuntimeStatus.Terminated, Job);

        var view = await GetAsync();

        Assert.Equal(VideoJobStatuses.Cancelled, view?.Status);
        Assert.Equal("terminated", view?.Error?.Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-job")]
    [InlineData("api-../../runtime/webhooks")]
    [InlineData("inbox-0123456789ABCDEF0123456789ABCDEF")]
    public async Task GetAsync_MalformedId_IsNullWithoutCallingTheClient(string id)
    {
        _client.Instance = Metadata(Id, OrchestrationRuntimeStatus.Running, Job);

        Assert.Null(await GetAsync(id: id));
        Assert.Empty(_client.Client.Invocations);
    }

    [Fact]
    public async Task GetAsync_UnknownJob_IsNull()
    {
        Assert.Null(await GetAsync());
        Assert.Single(_client.Lookups);
    }

    // ---- SubmitAsync ----

    [Fact]
    public async Task SubmitAsync_InvalidBody_ReturnsTheProblemsWithoutScheduling()
    {
        var result = await Service().SubmitAsync(
            _client.Client.Object,
            VideoMode.ImageToVideo,
            JsonNode.Parse("""{ "prompt": "" }"""),
            null,
            TestContext.Current.CancellationToken);

        Assert.Null(result.Id);
        Assert.False(result.Created);
        Assert.Equal(["image_url", "prompt"], result.Errors!.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(_client.Client.Invocations);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tab\tinside")]
    [InlineData("line\nbreak")]
    public async Task SubmitAsync_BadIdempotencyKey_IsRefusedByHeaderName(string key)
    {
        var result = await Service().SubmitAsync(
            _client.Client.Object,
            VideoMode.TextToVideo,
            JsonNode.Parse("""{ "prompt": "p" }"""),
            key,
            TestContext.Current.CancellationToken);

        Assert.Equal(["Idempotency-Key"], result.Errors!.Keys);
        Assert.Empty(_client.Client.Invocations);
    }

    [Fact]
    public async Task SubmitAsync_IdempotencyKeyOver255_IsRefused()
    {
        var result = await Service().SubmitAsync(
            _client.Client.Object,
            VideoMode.TextToVideo,
            JsonNode.Parse("""{ "prompt": "p" }"""),
            new string('k', 256),
            TestContext.Current.CancellationToken);

        Assert.Equal(["Idempotency-Key"], result.Errors!.Keys);
    }

    [Fact]
    public async Task SubmitAsync_ValidRequest_SchedulesAnHttpJobWithTheValidatedRequest()
    {
        var result = await Service().SubmitAsync(
            _client.Client.Object,
            VideoMode.TextToVideo,
            JsonNode.Parse("""{ "prompt": "An octopus", "duration": 6 }"""),
            null,
            TestContext.Current.CancellationToken);

        Assert.True(result.Created);
        Assert.Null(result.Errors);
        Assert.True(JobIds.IsWellFormed(result.Id));
        var schedule = Assert.Single(
            _client.Client.Invocations, i => i.Method.Name == nameof(DurableTaskClient.ScheduleNewOrchestrationInstanceAsync));
        var job = Assert.IsType<VideoJob>(schedule.Arguments[1]);
        Assert.Equal(result.Id, job.Id);
        Assert.Equal(JobSource.Http, job.Source);
        Assert.Equal($"jobs/{result.Id}.mp4", job.OutputBlob);
        Assert.Equal("6", job.Request?.Duration);
        Assert.Equal(Now, job.CreatedAt);
    }

    [Fact]
    public async Task SubmitAsync_SameIdempotencyKeyAgain_AnswersTheSameJobWithoutStartingIt()
    {
        var body = JsonNode.Parse("""{ "prompt": "p" }""");
        var first = await Service().SubmitAsync(
            _client.Client.Object, VideoMode.TextToVideo, body, "order-17", TestContext.Current.CancellationToken);
        _client.Instance = Metadata(first.Id!, OrchestrationRuntimeStatus.Running);

        var second = await Service().SubmitAsync(
            _client.Client.Object, VideoMode.TextToVideo, body, "order-17", TestContext.Current.CancellationToken);

        Assert.Equal(first.Id, second.Id);
        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Single(_client.Client.Invocations, i => i.Method.Name == nameof(DurableTaskClient.ScheduleNewOrchestrationInstanceAsync));
    }

    // ---- CancelAsync ----

    [Fact]
    public async Task CancelAsync_RunningJob_RaisesTheCancelEvent()
    {
        _client.Instance = Metadata(Id, OrchestrationRuntimeStatus.Running, Job);

        var result = await Service().CancelAsync(_client.Client.Object, Id, TestContext.Current.CancellationToken);

        Assert.Equal(CancelResult.Accepted, result);
        _client.Client.Verify(
            c => c.RaiseEventAsync(Id, VideoJobOrchestrator.CancelEvent, It.IsAny<CancelRequest>(), It.IsAny<CancellationToken>()),
            Times.Once);
    }

    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Completed)]
    [InlineData(OrchestrationRuntimeStatus.Failed)]
    [InlineData(OrchestrationRuntimeStatus.Terminated)]
    public async Task CancelAsync_FinishedJob_IsAlreadyFinishedWithoutRaise(OrchestrationRuntimeStatus status)
    {
        _client.Instance = Metadata(Id, status, Job);

        var result = await Service().CancelAsync(_client.Client.Object, Id, TestContext.Current.CancellationToken);

        Assert.Equal(CancelResult.AlreadyFinished, result);
        _client.Client.Verify(
            c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()),
            Times.Never);
    }

    [Fact]
    public async Task CancelAsync_UnknownOrMalformedJob_IsNotFound()
    {
        Assert.Equal(CancelResult.NotFound, await Service().CancelAsync(_client.Client.Object, Id, TestContext.Current.CancellationToken));
        Assert.Equal(
            CancelResult.NotFound,
            await Service().CancelAsync(_client.Client.Object, "nope", TestContext.Current.CancellationToken));
        Assert.Single(_client.Lookups);
    }
}
