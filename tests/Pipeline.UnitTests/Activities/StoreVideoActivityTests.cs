using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;
using static Pipeline.UnitTests.Activities.ActivityMocks;

namespace Pipeline.UnitTests.Activities;

public sealed class StoreVideoActivityTests
{
    private static readonly StoredVideo Video = new(
        "videos/trips/photo.mp4", "https://account.blob.core.windows.net/videos/trips/photo.mp4", "video/mp4", 1_843_211);

    private readonly ActivityMocks _m = new();
    private readonly Mock<VideoStore> _store;
    private readonly Mock<Pipeline.Core.Batches.BatchLedger> _batches;

    public StoreVideoActivityTests()
    {
        var storage = new PipelineStorage(new Azure.Storage.Blobs.BlobServiceClient("UseDevelopmentStorage=true"));
        _store = new Mock<VideoStore>(
            storage, Mock.Of<IHttpClientFactory>(), new MediaDownloadPolicy(_m.Options), _m.Time, NullLogger<VideoStore>.Instance);
        _store.Setup(s => s.StoreAsync(It.IsAny<VideoToStore>(), It.IsAny<CancellationToken>())).ReturnsAsync(Video);
        _batches = new Mock<Pipeline.Core.Batches.BatchLedger>(storage, _m.Time, NullLogger<Pipeline.Core.Batches.BatchLedger>.Instance);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static StoreVideoInput Input(JobEvent? announcement) => new("inbox-1", VideoMode.ImageToVideo, Drop, "fal-req-0001", 42,
        "https://v3b.fal.media/files/b/x/output.mp4", "video/mp4", "trips/photo.mp4")
    {
        FileSize = 1_843_211, Announcement = announcement,
    };

    private StoreVideoActivity Activity() => new(
        _store.Object,
        _m.Admission.Object,
        _m.Fal.Object,
        _m.Announcer,
        _batches.Object,
        _m.Time,
        NullLogger<StoreVideoActivity>.Instance);

    private static readonly Pipeline.Core.Batches.BatchJobEnd PlannedEnd = new("inbox-1",
        new Pipeline.Core.Jobs.JobBatch("b-trips", Pipeline.Core.Jobs.BatchKind.Folder, "inbox/trips"), null, "succeeded", null, 42, 0.43m);

    [Fact]
    public async Task RunAsync_Stored_AnnouncesSucceededWithTheVideoAndTheFinishTime()
    {
        var outcome = await Activity().RunAsync(Input(Planned(JobEventTypes.Succeeded)), Token);

        Assert.Equal(new StoreVideoOutcome(Video, Now, true), outcome);
        _m.Admission.Verify(a => a.SettleAsync("inbox-1", It.IsAny<DateTimeOffset>(), true, It.IsAny<CancellationToken>()), Times.Once);
        var announced = Assert.Single(_m.Published);
        Assert.Equal(JobEventTypes.Succeeded, announced.Type);
        Assert.Equal(Video, announced.Data.Video);
        Assert.Equal(Now, announced.Data.Timings.FinishedAt);
        Assert.Equal("inbox-1.succeeded", announced.CloudEventId);
    }

    [Fact]
    public async Task RunAsync_CopyFails_AnnouncesNothing()
    {
        _store.Setup(s => s.StoreAsync(It.IsAny<VideoToStore>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new HttpRequestException("the video download answered 404"));

        await Assert.ThrowsAsync<HttpRequestException>(() => Activity().RunAsync(Input(Planned(JobEventTypes.Succeeded)), Token));

        Assert.Empty(_m.Published);
    }

    [Fact]
    public async Task RunAsync_EventGridDown_KeepsTheEventForLaterAndCountsItAnnounced()
    {
        _m.Publisher.Setup(p => p.PublishAsync(It.IsAny<JobEvent>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new Azure.RequestFailedException(503, "topic unavailable"));

        var outcome = await Activity().RunAsync(Input(Planned(JobEventTypes.Succeeded)), Token);

        Assert.Equal(Video, outcome.Video);
        Assert.True(outcome.Announced);
        Assert.Equal(JobEventTypes.Succeeded, Assert.Single(_m.Kept).Type);
    }

    [Fact]
    public async Task RunAsync_EventGridAndTheOutboxDown_ReturnsTheVideoUnannounced()
    {
        _m.Publisher.Setup(p => p.PublishAsync(It.IsAny<JobEvent>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new Azure.RequestFailedException(503, "topic unavailable"));
        _m.KeepFails = true;

        var outcome = await Activity().RunAsync(Input(Planned(JobEventTypes.Succeeded)), Token);

        Assert.Equal(Video, outcome.Video);
        Assert.False(outcome.Announced); // the orchestration announces it itself
    }

    [Fact]
    public async Task RunAsync_AnEarlierEventWaitsInTheOutbox_KeepsSucceededBehindItWithoutPublishing()
    {
        var outcome = await Activity().RunAsync(Input(Planned(JobEventTypes.Succeeded)) with { QueueEventBehind = true }, Token);

        Assert.True(outcome.Announced);
        Assert.Empty(_m.Published);
        Assert.Single(_m.Kept);
    }

    [Fact]
    public async Task RunAsync_NoAnnouncementAsked_PublishesNothing()
    {
        var outcome = await Activity().RunAsync(Input(null), Token);

        Assert.False(outcome.Announced);
        Assert.Empty(_m.Published);
    }

    [Fact]
    public async Task RunAsync_JobOfABatch_RecordsItsEndWithTheStoredVideo()
    {
        var outcome = await Activity().RunAsync(Input(Planned(JobEventTypes.Succeeded)) with { BatchEnd = PlannedEnd }, Token);

        Assert.True(outcome.RecordedInBatch);
        var recorded = PlannedEnd with { Video = Video.Blob };
        _batches.Verify(b => b.RecordEndAsync(recorded, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Theory]
    [InlineData("storage")]
    [InlineData("anything else")]
    public async Task RunAsync_BatchRecordFails_KeepsTheVideoAndLeavesTheEndToTheOrchestration(string failure)
    {
        Exception thrown = failure == "storage"
            ? new Azure.RequestFailedException(503, "server busy")
            : new InvalidOperationException("results file unreadable");
        _batches.Setup(b => b.RecordEndAsync(It.IsAny<Pipeline.Core.Batches.BatchJobEnd>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(thrown);

        var outcome = await Activity().RunAsync(Input(Planned(JobEventTypes.Succeeded)) with { BatchEnd = PlannedEnd }, Token);

        Assert.Equal(Video, outcome.Video);
        Assert.True(outcome.Announced);
        Assert.False(outcome.RecordedInBatch);
    }

    [Fact]
    public async Task RunAsync_JobOfNoBatch_RecordsNothing()
    {
        var outcome = await Activity().RunAsync(Input(Planned(JobEventTypes.Succeeded)), Token);

        Assert.False(outcome.RecordedInBatch);
        _batches.Verify(b => b.RecordEndAsync(It.IsAny<Pipeline.Core.Batches.BatchJobEnd>(), It.IsAny<CancellationToken>()), Times.Never);
    }
}
