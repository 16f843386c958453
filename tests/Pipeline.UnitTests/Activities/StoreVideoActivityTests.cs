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
    private static readonly StoredVideo Video = new("videos/trips/photo.mp4", "https://account.blob.core.windows.net/videos/trips/photo.mp4", "video/mp4", 1_843_211);

    private readonly ActivityMocks _m = new();
    private readonly Mock<VideoStore> _store;

    public StoreVideoActivityTests()
    {
        var storage = new PipelineStorage(new Azure.Storage.Blobs.BlobServiceClient("UseDevelopmentStorage=true"));
        _store = new Mock<VideoStore>(storage, Mock.Of<IHttpClientFactory>(), new MediaDownloadPolicy(_m.Options), _m.Time, NullLogger<VideoStore>.Instance);
        _store.Setup(s => s.StoreAsync(It.IsAny<StoreVideoInput>(), It.IsAny<CancellationToken>())).ReturnsAsync(Video);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static StoreVideoInput Input(JobEvent? announcement) => new("inbox-1", VideoMode.ImageToVideo, Drop, "fal-req-0001", 42,
        "https://v3b.fal.media/files/b/x/output.mp4", "video/mp4", "trips/photo.mp4", 1_843_211, announcement);

    private StoreVideoActivity Activity() => new(_store.Object, _m.Admission.Object, _m.Fal.Object, _m.Announcer, _m.Time, NullLogger<StoreVideoActivity>.Instance);

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
        _store.Setup(s => s.StoreAsync(It.IsAny<StoreVideoInput>(), It.IsAny<CancellationToken>())).ThrowsAsync(new HttpRequestException("the video download answered 404"));

        await Assert.ThrowsAsync<HttpRequestException>(() => Activity().RunAsync(Input(Planned(JobEventTypes.Succeeded)), Token));

        Assert.Empty(_m.Published);
    }

    [Fact]
    public async Task RunAsync_EventGridDown_ReturnsTheVideoUnannounced()
    {
        _m.Publisher.Setup(p => p.PublishAsync(It.IsAny<JobEvent>(), It.IsAny<CancellationToken>())).ThrowsAsync(new Azure.RequestFailedException(503, "topic unavailable"));

        var outcome = await Activity().RunAsync(Input(Planned(JobEventTypes.Succeeded)), Token);

        Assert.Equal(Video, outcome.Video);
        Assert.False(outcome.Announced);
    }

    [Fact]
    public async Task RunAsync_NoAnnouncementAsked_PublishesNothing()
    {
        var outcome = await Activity().RunAsync(Input(null), Token);

        Assert.False(outcome.Announced);
        Assert.Empty(_m.Published);
    }
}
