using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Pipeline.Core.Activities;
using Pipeline.Core.Api;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using static Pipeline.UnitTests.Activities.ActivityMocks;

namespace Pipeline.UnitTests.Activities;

public sealed class SubmitToFalActivityTests
{
    private static readonly VideoRequest Request = new() { Prompt = "An octopus plays football", ImageUrl = "https://cdn.example.com/octopus.png" };

    private readonly ActivityMocks _m = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private SubmitToFalActivity Activity() =>
        new(_m.Fal.Object, _m.Inbox.Object, _m.Inputs.Object, new WebhookUrls(_m.Options), _m.Admission.Object, _m.Announcer, _m.Time, NullLogger<SubmitToFalActivity>.Instance);

    [Fact]
    public async Task RunAsync_HttpJob_SubmitsWithTheJobsWebhookAndAnnouncesWithFalsId()
    {
        var outcome = await Activity().RunAsync(new SubmitToFalInput("api-1", VideoMode.ImageToVideo, Request, JobSource.Http, Planned(JobEventTypes.Submitted)), Token);

        _m.Fal.Verify(f => f.SubmitAsync("bytedance/seedance-2.0/fast/image-to-video", It.Is<JsonObject>(b => (string)b["prompt"]! == Request.Prompt),
            new Uri("https://app.example.com/api/fal/webhook?job=api-1"), It.IsAny<CancellationToken>()), Times.Once);
        Assert.Equal(Accepted.RequestId, outcome.Request?.RequestId);
        Assert.Equal(Accepted.CancelUrl, outcome.Request?.CancelUrl);
        Assert.Equal(2, outcome.QueuePosition);
        Assert.Equal(Now, outcome.SubmittedAt);
        Assert.True(outcome.Announced);
        var announced = Assert.Single(_m.Published);
        Assert.Equal(JobEventTypes.Submitted, announced.Type);
        Assert.Equal(Now, announced.Time);
        Assert.Equal(Accepted.RequestId, announced.Data.FalRequestId);
        Assert.Equal(Now, announced.Data.Timings.SubmittedAt);
        Assert.Equal("inbox-1.submitted", announced.CloudEventId);
    }

    [Fact]
    public async Task RunAsync_InboxDrop_ReadsTheDropAndSubmitsItsModeAndRequest()
    {
        var fromSidecar = Request with { Prompt = "from the sidecar", ImageUrl = null, ImageUrls = ["https://cdn.example.com/a.png"] };
        _m.Inbox.Setup(i => i.PrepareAsync(Drop, It.IsAny<CancellationToken>())).ReturnsAsync(new PreparedJob(VideoMode.ReferenceToVideo, fromSidecar, null, false, null));

        var outcome = await Activity().RunAsync(new SubmitToFalInput("inbox-1", VideoMode.ImageToVideo, null, Drop, Planned(JobEventTypes.Submitted)), Token);

        _m.Fal.Verify(f => f.SubmitAsync("bytedance/seedance-2.0/fast/reference-to-video", It.Is<JsonObject>(b => (string)b["prompt"]! == "from the sidecar"),
            It.IsAny<Uri?>(), It.IsAny<CancellationToken>()), Times.Once);
        Assert.Equal(VideoMode.ReferenceToVideo, outcome.Mode);
        Assert.Equal(VideoMode.ReferenceToVideo, Assert.Single(_m.Published).Data.Mode);
    }

    [Fact]
    public async Task RunAsync_InvalidDrop_FailsWithTheProblemWithoutSubmittingOrAnnouncing()
    {
        var errors = new Dictionary<string, string[]> { ["prompt"] = ["is required"] };
        _m.Inbox.Setup(i => i.PrepareAsync(Drop, It.IsAny<CancellationToken>())).ReturnsAsync(new PreparedJob(VideoMode.ImageToVideo, null, errors, false, "prompt: is required"));

        var outcome = await Activity().RunAsync(new SubmitToFalInput("inbox-1", VideoMode.ImageToVideo, null, Drop, Planned(JobEventTypes.Submitted)), Token);

        Assert.Null(outcome.Request);
        Assert.Equal(new JobError("invalid_request", "prompt: is required"), outcome.Error);
        AssertNothingSubmitted();
    }

    [Fact]
    public async Task RunAsync_SupersededSidecar_EndsSupersededWithoutSubmitting()
    {
        _m.Inbox.Setup(i => i.PrepareAsync(Drop, It.IsAny<CancellationToken>())).ReturnsAsync(new PreparedJob(VideoMode.ImageToVideo, null, null, true, null));

        var outcome = await Activity().RunAsync(new SubmitToFalInput("inbox-1", VideoMode.TextToVideo, null, Drop), Token);

        Assert.True(outcome.Superseded);
        Assert.Null(outcome.Error);
        AssertNothingSubmitted();
    }

    [Fact]
    public async Task RunAsync_HttpJobWithoutRequest_FailsInvalidRequestWithoutSubmitting()
    {
        var outcome = await Activity().RunAsync(new SubmitToFalInput("api-1", VideoMode.TextToVideo, null, JobSource.Http), Token);

        Assert.Equal("invalid_request", outcome.Error?.Code);
        AssertNothingSubmitted();
    }

    [Fact]
    public async Task RunAsync_DropUnreadable_ThrowsNothingSubmittedSoTheOrchestrationMayRetry()
    {
        _m.Inbox.Setup(i => i.PrepareAsync(Drop, It.IsAny<CancellationToken>())).ThrowsAsync(new Azure.RequestFailedException(503, "server busy"));

        var e = await Assert.ThrowsAsync<NothingSubmittedException>(() => Activity().RunAsync(new SubmitToFalInput("inbox-1", VideoMode.ImageToVideo, null, Drop), Token));

        Assert.Contains("server busy", e.Message, StringComparison.Ordinal);
        AssertNothingSubmitted();
    }

    [Fact]
    public async Task RunAsync_InputsUnreadable_ThrowsNothingSubmitted()
    {
        _m.Inputs.Setup(i => i.ToFalInputAsync(It.IsAny<VideoRequest>(), It.IsAny<CancellationToken>())).ThrowsAsync(new InvalidOperationException("no SAS"));

        await Assert.ThrowsAsync<NothingSubmittedException>(() => Activity().RunAsync(new SubmitToFalInput("api-1", VideoMode.ImageToVideo, Request, JobSource.Http), Token));
        AssertNothingSubmitted();
    }

    [Fact]
    public async Task RunAsync_FalRefuses_ReturnsTheRefusalAsData()
    {
        _m.Fal.Setup(f => f.SubmitAsync(It.IsAny<string>(), It.IsAny<JsonObject>(), It.IsAny<Uri?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new FalApiException("prompt: too long", 422, "string_too_long", null, false));

        var outcome = await Activity().RunAsync(new SubmitToFalInput("api-1", VideoMode.ImageToVideo, Request, JobSource.Http, Planned(JobEventTypes.Submitted)), Token);

        Assert.Equal("fal_rejected", outcome.Error?.Code);
        Assert.Empty(_m.Published);
    }

    [Fact]
    public async Task RunAsync_EventGridDown_StillReturnsTheSubmissionUnannounced()
    {
        _m.Publisher.Setup(p => p.PublishAsync(It.IsAny<JobEvent>(), It.IsAny<CancellationToken>())).ThrowsAsync(new Azure.RequestFailedException(503, "topic unavailable"));

        var outcome = await Activity().RunAsync(new SubmitToFalInput("api-1", VideoMode.ImageToVideo, Request, JobSource.Http, Planned(JobEventTypes.Submitted)), Token);

        // The submit happened and must not be repeated; the orchestration publishes the event itself.
        Assert.Equal(Accepted.RequestId, outcome.Request?.RequestId);
        Assert.False(outcome.Announced);
    }

    private void AssertNothingSubmitted()
    {
        _m.Fal.Verify(f => f.SubmitAsync(It.IsAny<string>(), It.IsAny<JsonObject>(), It.IsAny<Uri?>(), It.IsAny<CancellationToken>()), Times.Never);
        Assert.Empty(_m.Published);
    }
}
