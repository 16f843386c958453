using Microsoft.Azure.Functions.Worker;
using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;

namespace Pipeline.Functions.Orchestration;

/// <summary>The job's activity functions, each one line into the core activity of the same name.</summary>
public sealed class VideoJobActivities(
    SubmitToFalActivity submitToFal,
    CheckFalStatusActivity checkFalStatus,
    FetchFalResultActivity fetchFalResult,
    CancelFalRequestActivity cancelFalRequest,
    StoreVideoActivity storeVideo,
    WriteErrorMarkerActivity writeErrorMarker,
    PublishJobEventActivity publishJobEvent,
    ReleaseJobSlotActivity releaseJobSlot)
{
    [Function(SubmitToFalActivity.Name)]
    public Task<SubmitToFalOutcome> SubmitToFal([ActivityTrigger] SubmitToFalInput input, CancellationToken cancellationToken) =>
        submitToFal.RunAsync(input, cancellationToken);

    [Function(CheckFalStatusActivity.Name)]
    public Task<FalPoll> CheckFalStatus([ActivityTrigger] FalRequestRef input, CancellationToken cancellationToken) =>
        checkFalStatus.RunAsync(input, cancellationToken);

    [Function(FetchFalResultActivity.Name)]
    public Task<FalCompletion> FetchFalResult([ActivityTrigger] FalResultQuery input, CancellationToken cancellationToken) =>
        fetchFalResult.RunAsync(input, cancellationToken);

    [Function(CancelFalRequestActivity.Name)]
    public Task<bool> CancelFalRequest([ActivityTrigger] FalRequestRef input, CancellationToken cancellationToken) =>
        cancelFalRequest.RunAsync(input, cancellationToken);

    [Function(StoreVideoActivity.Name)]
    public Task<StoreVideoOutcome> StoreVideo([ActivityTrigger] StoreVideoInput input, CancellationToken cancellationToken) =>
        storeVideo.RunAsync(input, cancellationToken);

    [Function(ReleaseJobSlotActivity.Name)]
    public Task<string?> ReleaseJobSlot([ActivityTrigger] JobSlot input, CancellationToken cancellationToken) =>
        releaseJobSlot.RunAsync(input, cancellationToken);

    [Function(WriteErrorMarkerActivity.Name)]
    public Task<string> WriteErrorMarker([ActivityTrigger] ErrorMarkerInput input, CancellationToken cancellationToken) =>
        writeErrorMarker.RunAsync(input, cancellationToken);

    [Function(PublishJobEventActivity.Name)]
    public Task<bool> PublishJobEvent([ActivityTrigger] JobEvent input, CancellationToken cancellationToken) =>
        publishJobEvent.RunAsync(input, cancellationToken);
}
