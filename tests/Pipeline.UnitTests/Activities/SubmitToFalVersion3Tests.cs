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

/// <summary>
/// The submit step of version 3 jobs: fal's absence is an outcome to wait out, every input is the job's own (a seed),
/// what was sent is fingerprinted in the claim, a later attempt sends nothing while an earlier one is at fal, and a
/// host that is stopping starts no submit.
/// </summary>
public sealed class SubmitToFalVersion3Tests
{
    private static readonly VideoRequest Request = new()
    {
        Prompt = "An octopus plays football",
        ImageUrl = "https://cdn.example.com/octopus.png",
    };

    private static readonly FalRequestRef Earlier = new("fal-req-earlier",
        new Uri("https://queue.fal.run/bytedance/seedance-2.0/requests/fal-req-earlier/status"),
        new Uri("https://queue.fal.run/bytedance/seedance-2.0/requests/fal-req-earlier"),
        new Uri("https://queue.fal.run/bytedance/seedance-2.0/requests/fal-req-earlier/cancel"));

    private readonly ActivityMocks _m = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private SubmitToFalActivity Activity() =>
        _m.SubmitActivity();

    private static SubmitToFalInput Input(int attempt = 1, IReadOnlyList<string>? ended = null) =>
        new("api-1", VideoMode.ImageToVideo, Request, JobSource.Http, Planned(JobEventTypes.Submitted), Now)
        {
            Attempt = attempt, Steps = 3, Ended = ended,
        };

    private int Sent() => _m.Fal.Invocations.Count(i => i.Method.Name == nameof(FalQueueClient.SubmitAsync));

    [Fact]
    public async Task RunAsync_FalRefusesTheConnection_IsFalUnavailableAndTheRecordSaysRefused()
    {
        _m.Fal.Setup(f => f.SubmitAsync(
            It.IsAny<string>(), It.IsAny<JsonObject>(), It.IsAny<Uri?>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new FalApiException(
                "fal could not be connected to", status: null, errorCode: null, requestId: null, isRetryable: true));

        var outcome = await Activity().RunAsync(Input(), Token);

        Assert.Equal("fal_unavailable", Assert.IsType<SubmitToFalOutcome.FalUnavailable>(outcome).Error.Code);
        Assert.Equal(SubmitState.Refused, Assert.Single(_m.Submits.Records).State);
    }

    [Fact]
    public async Task RunAsync_RunAgainAfterFalWasAway_IsStillFalUnavailable()
    {
        // A crash after the refusal was recorded, before the orchestration took the answer: the rerun reads the record.
        _m.Submits.Put(new SubmitRecord(
            "api-1", 1, SubmitState.Refused, Now, Error: new JobError("fal_unavailable", "Connection refused")));

        var outcome = await Activity().RunAsync(Input(), Token);

        Assert.Equal("fal_unavailable", Assert.IsType<SubmitToFalOutcome.FalUnavailable>(outcome).Error.Code); // a wait, not the job's end
        Assert.Equal(0, Sent());
    }

    [Fact]
    public async Task RunAsync_Version2Input_StillGetsNotSubmittedWhenFalIsAway()
    {
        _m.Fal.Setup(f => f.SubmitAsync(
            It.IsAny<string>(), It.IsAny<JsonObject>(), It.IsAny<Uri?>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new FalApiException("fal answered 503", status: 503, errorCode: null, requestId: null, isRetryable: true));

        var outcome = await Activity().RunAsync(Input() with { Steps = 2 }, Token);

        Assert.IsType<SubmitToFalOutcome.NotSubmitted>(outcome); // the frozen steps of version 2 know no other outcome
    }

    [Theory]
    [InlineData(3, false)]
    [InlineData(2, true)]
    public async Task RunAsync_Version3TriesOncePerStep_Version2KeepsTheClientsRetries(int steps, bool retried)
    {
        // Version 3's retries are durable waits between steps, taken with no claim open; version 2 keeps its frozen ways.
        await Activity().RunAsync(Input() with { Steps = steps }, Token);

        _m.Fal.Verify(
            f => f.SubmitAsync(It.IsAny<string>(), It.IsAny<JsonObject>(), It.IsAny<Uri?>(), retried, It.IsAny<CancellationToken>()),
            Times.Once);
    }

    [Fact]
    public async Task RunAsync_NoSeedAsked_SendsTheJobsOwnSeedAndFingerprintsTheInput()
    {
        JsonObject? sent = null;
        _m.Fal.Setup(f => f.SubmitAsync(
            It.IsAny<string>(), It.IsAny<JsonObject>(), It.IsAny<Uri?>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .Callback((string _, JsonObject body, Uri? _, bool _, CancellationToken _) => sent = body).ReturnsAsync(Accepted);

        await Activity().RunAsync(Input(), Token);

        Assert.Equal(JobSeeds.For("api-1"), sent!["seed"]!.GetValue<long>());
        var record = Assert.Single(_m.Submits.Records);
        Assert.Equal(FalInputFingerprint.Of(sent), record.InputFingerprint);
        Assert.Equal("bytedance/seedance-2.0/fast/image-to-video", record.EndpointId);
        Assert.NotEqual(JobSeeds.For("api-1"), JobSeeds.For("api-2"));
    }

    [Fact]
    public async Task RunAsync_AnEarlierAttemptWasAccepted_SendsNothingAndFollowsIt()
    {
        _m.Submits.Put(new SubmitRecord("api-1", 1, SubmitState.Accepted, Now, Request: Earlier));

        var outcome = await Activity().RunAsync(Input(attempt: 2), Token);

        Assert.Equal(Earlier, Assert.IsType<SubmitToFalOutcome.Submitted>(outcome).Request);
        Assert.Equal(0, Sent());
    }

    [Fact]
    public async Task RunAsync_AWebhookNamedAnEarlierRequest_SendsNothingAndFollowsIt()
    {
        _m.Submits.Put(new SubmitRecord("api-1", 1, SubmitState.Sending, Now));
        await _m.Submits.RecordDeliveryAsync("api-1", "fal-req-named", Token);

        var outcome = await Activity().RunAsync(Input(attempt: 2), Token);

        Assert.Equal("fal-req-named", Assert.IsType<SubmitToFalOutcome.Submitted>(outcome).Request.RequestId);
        Assert.Equal(0, Sent());
    }

    [Fact]
    public async Task RunAsync_TheEarlierRequestEndedWithoutAVideo_SendsTheNextAttempt()
    {
        _m.Submits.Put(new SubmitRecord("api-1", 1, SubmitState.Accepted, Now, Request: Earlier));

        var outcome = await Activity().RunAsync(Input(attempt: 2, ended: [Earlier.RequestId]), Token);

        Assert.Equal(Accepted.RequestId, Assert.IsType<SubmitToFalOutcome.Submitted>(outcome).Request.RequestId);
        Assert.Equal(1, Sent());
    }

    [Fact]
    public async Task RunAsync_TheLostAttemptIsInFalsHistory_AdoptsItInsteadOfSending()
    {
        var body = new JsonObject { ["prompt"] = Request.Prompt, ["seed"] = JobSeeds.For("api-1") };
        _m.Submits.Put(new SubmitRecord("api-1", 1, SubmitState.Sending, Now)
        {
            EndpointId = "bytedance/seedance-2.0/fast/image-to-video", InputFingerprint = FalInputFingerprint.Of(body),
        });
        _m.Fal.Setup(f => f.ListRequestsAsync(It.IsAny<FalRequestHistoryQuery>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new FalRequestHistoryPage(
                [
                    Listed("fal-req-other-job", new JsonObject { ["prompt"] = Request.Prompt, ["seed"] = JobSeeds.For("api-2") }),
                    Listed(
                        "fal-req-lost",
                        new JsonObject { ["seed"] = JobSeeds.For("api-1"), ["prompt"] = Request.Prompt, ["image_url"] = "https://x/y" }),
                ],
                null,
                false));

        var outcome = await Activity().RunAsync(Input(attempt: 2), Token);

        Assert.Equal("fal-req-lost", Assert.IsType<SubmitToFalOutcome.Submitted>(outcome).Request.RequestId);
        Assert.Equal(0, Sent());
        Assert.Equal(SubmitState.Accepted, _m.Submits.Records.Single(r => r.Attempt == 1).State); // adopted: every later look knows it
    }

    [Fact]
    public async Task RunAsync_FalsHistoryUnreadable_SendsTheNextAttempt()
    {
        _m.Submits.Put(new SubmitRecord("api-1", 1, SubmitState.Sending, Now)
        {
            EndpointId = "bytedance/seedance-2.0/fast/image-to-video", InputFingerprint = "x",
        });
        _m.Fal.Setup(f => f.ListRequestsAsync(It.IsAny<FalRequestHistoryQuery>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new FalApiException("fal answered 503", status: 503, errorCode: null, requestId: null, isRetryable: true));

        var outcome = await Activity().RunAsync(Input(attempt: 2), Token);

        Assert.IsType<SubmitToFalOutcome.Submitted>(outcome);
        Assert.Equal(1, Sent()); // the wait-then-resubmit path: the documented limit when nothing can be known
    }

    [Fact]
    public async Task RunAsync_HostStopping_StartsNoSubmitAndClaimsNothing()
    {
        _m.Lifetime.StopApplication();

        await Assert.ThrowsAsync<NothingSubmittedException>(() => Activity().RunAsync(Input(), Token));

        Assert.Empty(_m.Submits.Records);
        Assert.Equal(0, Sent());
    }

    [Fact]
    public async Task RunAsync_HostStopsWhileSending_TheStopWaitsForFalsAnswerAndItsRecord()
    {
        var answer = new TaskCompletionSource<FalSubmitResult>();
        _m.Fal.Setup(f => f.SubmitAsync(
            It.IsAny<string>(), It.IsAny<JsonObject>(), It.IsAny<Uri?>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .Returns(answer.Task);
        var run = Activity().RunAsync(Input(), Token);
        await Task.Delay(50, Token);

        _m.Lifetime.StopApplication();
        var stop = _m.Gate.StopAsync(Token);
        await Task.Delay(100, Token);
        Assert.False(stop.IsCompleted); // the host's stop waits for the submit under way
        answer.SetResult(Accepted);

        await Task.WhenAll(run, stop);
        Assert.Equal(SubmitState.Accepted, Assert.Single(_m.Submits.Records).State); // never an unknown outcome
    }

    private static FalRequestHistoryItem Listed(string id, JsonObject input) =>
        new(id, "bytedance/seedance-2.0/fast/image-to-video", null, null, null, 200, null) { JsonInput = input };
}
