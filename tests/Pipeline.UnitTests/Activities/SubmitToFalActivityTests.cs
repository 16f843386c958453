using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Pipeline.Core.Activities;
using Pipeline.Core.Api;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Submits;
using static Pipeline.UnitTests.Activities.ActivityMocks;

namespace Pipeline.UnitTests.Activities;

public sealed class SubmitToFalActivityTests
{
    private static readonly VideoRequest Request = new()
    {
        Prompt = "An octopus plays football",
        ImageUrl = "https://cdn.example.com/octopus.png",
    };

    private static readonly FalRequestRef AcceptedRef =
        new(Accepted.RequestId, Accepted.StatusUrl, Accepted.ResponseUrl, Accepted.CancelUrl);

    private readonly ActivityMocks _m = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private SubmitToFalActivity Activity() =>
        _m.SubmitActivity();

    private static SubmitToFalInput HttpInput(int attempt = 1) =>
        new("api-1", VideoMode.ImageToVideo, Request, JobSource.Http, Planned(JobEventTypes.Submitted), Now) { Attempt = attempt };

    [Fact]
    public async Task RunAsync_HttpJob_SubmitsWithTheJobsWebhookAndAnnouncesWithFalsId()
    {
        var outcome = await Activity().RunAsync(HttpInput(), Token);

        _m.Fal.Verify(
            f => f.SubmitAsync(
                "bytedance/seedance-2.0/fast/image-to-video",
                It.Is<JsonObject>(b => (string)b["prompt"]! == Request.Prompt),
                new Uri($"https://app.example.com/api/fal/webhook?job=api-1&token={_m.Tokens.For("api-1")}"),
                It.IsAny<bool>(), It.IsAny<CancellationToken>()),
            Times.Once);
        var submitted = Assert.IsType<SubmitToFalOutcome.Submitted>(outcome);
        Assert.Equal(AcceptedRef, submitted.Request);
        Assert.Equal(2, submitted.QueuePosition);
        Assert.Equal(Now, submitted.SubmittedAt);
        Assert.True(submitted.Announced);
        var announced = Assert.Single(_m.Published);
        Assert.Equal(JobEventTypes.Submitted, announced.Type);
        Assert.Equal(Now, announced.Time);
        Assert.Equal(Accepted.RequestId, announced.Data.FalRequestId);
        Assert.Equal(Now, announced.Data.Timings.SubmittedAt);
        Assert.Equal("inbox-1.submitted", announced.CloudEventId);
    }

    [Fact]
    public async Task RunAsync_Submitted_RecordsTheClaimThenFalsAnswer()
    {
        await Activity().RunAsync(HttpInput(), Token);

        var record = Assert.Single(_m.Submits.Records);
        Assert.Equal(("api-1", 1, SubmitState.Accepted), (record.JobId, record.Attempt, record.State));
        Assert.Equal(AcceptedRef, record.Request);
        Assert.Equal(Cost, record.Cost);
    }

    [Fact]
    public async Task RunAsync_RunAgainAfterFalAccepted_ReturnsTheSameRequestWithoutSendingAndAnnouncesWithTheSameId()
    {
        var first = await Activity().RunAsync(HttpInput(), Token);

        var again = await Activity().RunAsync(HttpInput(), Token);

        _m.Fal.Verify(
            f => f.SubmitAsync(
                It.IsAny<string>(), It.IsAny<JsonObject>(), It.IsAny<Uri?>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()),
            Times.Once);
        Assert.Equal(((SubmitToFalOutcome.Submitted)first).Request, Assert.IsType<SubmitToFalOutcome.Submitted>(again).Request);
        Assert.Equal(2, _m.Published.Count);
        Assert.Single(_m.Published.Select(e => e.CloudEventId).Distinct());
        Assert.Equal(Cost, again.Cost);
    }

    [Fact]
    public async Task RunAsync_RunAgainAfterAClaimWithoutAnswer_IsOutcomeUnknownWithoutSending()
    {
        _m.Submits.Put(new SubmitRecord("api-1", 1, SubmitState.Sending, Now) { Cost = Cost });

        var outcome = await Activity().RunAsync(HttpInput(), Token);

        Assert.IsType<SubmitToFalOutcome.OutcomeUnknown>(outcome);
        Assert.Equal(Cost, outcome.Cost);
        AssertNothingSubmitted();
    }

    [Fact]
    public async Task RunAsync_RunAgainAfterFalRefused_ReturnsTheRefusalWithoutSending()
    {
        var refusal = new JobError("fal_rejected", "fal answered 403");
        _m.Submits.Put(new SubmitRecord("api-1", 1, SubmitState.Refused, Now, Error: refusal));

        var outcome = await Activity().RunAsync(HttpInput(), Token);

        Assert.Equal(refusal, Assert.IsType<SubmitToFalOutcome.NotSubmitted>(outcome).Error);
        AssertNothingSubmitted();
    }

    [Fact]
    public async Task RunAsync_SecondAttemptAfterALostAnswer_IsSentUnderItsOwnRecord()
    {
        _m.Submits.Put(new SubmitRecord("api-1", 1, SubmitState.Sending, Now));

        var outcome = await Activity().RunAsync(HttpInput(attempt: 2), Token);

        Assert.IsType<SubmitToFalOutcome.Submitted>(outcome);
        Assert.Equal([SubmitState.Sending, SubmitState.Accepted], _m.Submits.Records.OrderBy(r => r.Attempt).Select(r => r.State));
    }

    [Fact]
    public async Task RunAsync_AnswerLost_IsOutcomeUnknownAndTheClaimStaysUnanswered()
    {
        _m.Fal.Setup(f => f.SubmitAsync(
            It.IsAny<string>(), It.IsAny<JsonObject>(), It.IsAny<Uri?>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new FalSubmitOutcomeUnknownException("the connection dropped"));

        var outcome = await Activity().RunAsync(HttpInput(), Token);

        Assert.IsType<SubmitToFalOutcome.OutcomeUnknown>(outcome);
        Assert.Equal(SubmitState.Sending, Assert.Single(_m.Submits.Records).State);
        Assert.Empty(_m.Published);
        _m.Admission.Verify(a => a.RefundAsync(It.IsAny<string>(), It.IsAny<DateTimeOffset>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task RunAsync_UnexpectedFailureWhileSending_IsOutcomeUnknownNeverAFailure()
    {
        _m.Fal.Setup(f => f.SubmitAsync(
            It.IsAny<string>(), It.IsAny<JsonObject>(), It.IsAny<Uri?>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new ObjectDisposedException("HttpClient"));

        var outcome = await Activity().RunAsync(HttpInput(), Token);

        Assert.IsType<SubmitToFalOutcome.OutcomeUnknown>(outcome);
    }

    [Fact]
    public async Task RunAsync_AnotherRunClaimedItFirst_ReportsThatRunsRecordWithoutSending()
    {
        var ledger = new Mock<InMemorySubmitLedger>(_m.Time) { CallBase = true };
        var claimed = new SubmitRecord("api-1", 1, SubmitState.Sending, Now);
        ledger.Setup(l => l.FindAsync("api-1", 1, It.IsAny<CancellationToken>())).ReturnsAsync((SubmitRecord?)null);
        ledger.Setup(l => l.ClaimAsync(It.IsAny<SubmitRecord>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SubmitClaim.Taken(claimed));
        var activity = _m.SubmitActivity(ledger.Object);

        var outcome = await activity.RunAsync(HttpInput(), Token);

        Assert.IsType<SubmitToFalOutcome.OutcomeUnknown>(outcome);
        AssertNothingSubmitted();
    }

    [Fact]
    public async Task RunAsync_InboxDrop_ReadsTheDropAndSubmitsItsModeAndRequest()
    {
        var fromSidecar = Request with { Prompt = "from the sidecar", ImageUrl = null, ImageUrls = ["https://cdn.example.com/a.png"] };
        _m.Inbox.Setup(i => i.PrepareAsync(Drop, Now, false, It.IsAny<CancellationToken>(), null))
            .ReturnsAsync(new PreparedJob.Ready(VideoMode.ReferenceToVideo, fromSidecar));

        var outcome = await Activity().RunAsync(
            new SubmitToFalInput("inbox-1", VideoMode.ImageToVideo, null, Drop, Planned(JobEventTypes.Submitted), Now), Token);

        _m.Fal.Verify(
            f => f.SubmitAsync(
                "bytedance/seedance-2.0/fast/reference-to-video",
                It.Is<JsonObject>(b => (string)b["prompt"]! == "from the sidecar"),
                It.IsAny<Uri?>(),
                It.IsAny<bool>(), It.IsAny<CancellationToken>()),
            Times.Once);
        Assert.Equal(VideoMode.ReferenceToVideo, outcome.Mode);
        Assert.Equal(VideoMode.ReferenceToVideo, Assert.Single(_m.Published).Data.Mode);
    }

    [Fact]
    public async Task RunAsync_DropWaitsForItsCompanion_ReturnsTheWaitWithoutSubmitting()
    {
        _m.Inbox.Setup(i => i.PrepareAsync(Drop, Now, false, It.IsAny<CancellationToken>(), null))
            .ReturnsAsync(new PreparedJob.WaitForCompanion(VideoMode.ImageToVideo, TimeSpan.FromSeconds(4)));

        var outcome = await Activity().RunAsync(new SubmitToFalInput("inbox-1", VideoMode.ImageToVideo, null, Drop, CreatedAt: Now), Token);

        Assert.Equal(TimeSpan.FromSeconds(4), Assert.IsType<SubmitToFalOutcome.WaitingForCompanion>(outcome).Wait);
        AssertNothingSubmitted();
        Assert.Empty(_m.Submits.Records);
    }

    [Fact]
    public async Task RunAsync_InvalidDrop_FailsWithTheProblemWithoutSubmittingOrAnnouncing()
    {
        _m.Inbox.Setup(i => i.PrepareAsync(Drop, Now, false, It.IsAny<CancellationToken>(), null))
            .ReturnsAsync(new PreparedJob.Invalid(VideoMode.ImageToVideo, "prompt: is required"));

        var outcome = await Activity().RunAsync(
            new SubmitToFalInput("inbox-1", VideoMode.ImageToVideo, null, Drop, Planned(JobEventTypes.Submitted), Now), Token);

        Assert.Equal(new JobError("invalid_request", "prompt: is required"), Assert.IsType<SubmitToFalOutcome.NotSubmitted>(outcome).Error);
        AssertNothingSubmitted();
    }

    [Fact]
    public async Task RunAsync_SupersededSidecar_EndsSupersededWithoutSubmitting()
    {
        _m.Inbox.Setup(i => i.PrepareAsync(Drop, Now, false, It.IsAny<CancellationToken>(), null))
            .ReturnsAsync(new PreparedJob.Superseded());

        var outcome = await Activity().RunAsync(new SubmitToFalInput("inbox-1", VideoMode.TextToVideo, null, Drop, CreatedAt: Now), Token);

        Assert.IsType<SubmitToFalOutcome.Superseded>(outcome);
        AssertNothingSubmitted();
    }

    [Fact]
    public async Task RunAsync_HttpJobWithoutRequest_FailsInvalidRequestWithoutSubmitting()
    {
        var outcome = await Activity().RunAsync(new SubmitToFalInput("api-1", VideoMode.TextToVideo, null, JobSource.Http), Token);

        Assert.Equal("invalid_request", Assert.IsType<SubmitToFalOutcome.NotSubmitted>(outcome).Error.Code);
        AssertNothingSubmitted();
    }

    [Fact]
    public async Task RunAsync_DropUnreadable_ThrowsNothingSubmittedSoTheOrchestrationMayRetry()
    {
        _m.Inbox.Setup(i => i.PrepareAsync(Drop, Now, false, It.IsAny<CancellationToken>(), null))
            .ThrowsAsync(new Azure.RequestFailedException(503, "server busy"));

        var e = await Assert.ThrowsAsync<NothingSubmittedException>(
            () => Activity().RunAsync(new SubmitToFalInput("inbox-1", VideoMode.ImageToVideo, null, Drop, CreatedAt: Now), Token));

        Assert.Contains("server busy", e.Message, StringComparison.Ordinal);
        AssertNothingSubmitted();
    }

    [Fact]
    public async Task RunAsync_InputsUnreadableAfterAdmission_GivesTheSlotAndReservationBackAndThrowsNothingSubmitted()
    {
        _m.Inputs.Setup(i => i.ToFalInputAsync(It.IsAny<VideoRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("no SAS"));

        await Assert.ThrowsAsync<NothingSubmittedException>(() => Activity().RunAsync(HttpInput(), Token));

        AssertNothingSubmitted();
        Assert.Empty(_m.Submits.Records);
        _m.Admission.Verify(a => a.RefundAsync("api-1", Now, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task RunAsync_FalRefuses_ReturnsTheRefusalAsDataRecordsItAndGivesTheReservationBack()
    {
        _m.Fal.Setup(f => f.SubmitAsync(
            It.IsAny<string>(), It.IsAny<JsonObject>(), It.IsAny<Uri?>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new FalApiException("fal answered 403: forbidden", 403, null, null, false));

        var outcome = await Activity().RunAsync(HttpInput(), Token);

        Assert.Equal("fal_rejected", Assert.IsType<SubmitToFalOutcome.NotSubmitted>(outcome).Error.Code);
        Assert.Equal(SubmitState.Refused, Assert.Single(_m.Submits.Records).State);
        Assert.Empty(_m.Published);
        _m.Admission.Verify(a => a.RefundAsync("api-1", Now, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task RunAsync_EventGridDown_KeepsSubmittedForLaterAndSaysSo()
    {
        _m.Publisher.Setup(p => p.PublishAsync(It.IsAny<JobEvent>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new Azure.RequestFailedException(503, "topic unavailable"));

        var outcome = await Activity().RunAsync(HttpInput(), Token);

        var submitted = Assert.IsType<SubmitToFalOutcome.Submitted>(outcome);
        Assert.Equal(Accepted.RequestId, submitted.Request.RequestId);
        Assert.True(submitted.Announced);
        Assert.True(submitted.EventKept); // the orchestration keeps the job's later events behind it
        Assert.Equal(Accepted.RequestId, Assert.Single(_m.Kept).Data.FalRequestId);
    }

    [Fact]
    public async Task RunAsync_EventGridAndTheOutboxDown_StillReturnsTheSubmissionUnannounced()
    {
        _m.Publisher.Setup(p => p.PublishAsync(It.IsAny<JobEvent>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new Azure.RequestFailedException(503, "topic unavailable"));
        _m.KeepFails = true;

        var outcome = await Activity().RunAsync(HttpInput(), Token);

        // The submit happened and must not be repeated; the orchestration announces the event itself.
        var submitted = Assert.IsType<SubmitToFalOutcome.Submitted>(outcome);
        Assert.False(submitted.Announced);
    }

    private void AssertNothingSubmitted()
    {
        _m.Fal.Verify(
            f => f.SubmitAsync(
                It.IsAny<string>(), It.IsAny<JsonObject>(), It.IsAny<Uri?>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()),
            Times.Never);
        Assert.Empty(_m.Published);
    }
}
