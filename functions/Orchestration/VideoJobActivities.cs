using Microsoft.Azure.Functions.Worker;
using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Fal;

namespace Pipeline.Functions.Orchestration;

/// <summary>
/// The job's activity functions, each one line into the core activity of the same name, run by the shared runner
/// (telemetry by job). <c>instanceId</c> is bound by the Durable extension to the calling orchestration's id: the job id.
/// </summary>
public sealed class VideoJobActivities(
    PipelineActivityRunner runner,
    SubmitToFalActivity submitToFal,
    CheckFalStatusActivity checkFalStatus,
    FetchFalResultActivity fetchFalResult,
    CancelFalRequestActivity cancelFalRequest,
    StoreVideoActivity storeVideo,
    WriteErrorMarkerActivity writeErrorMarker,
    PublishJobEventActivity publishJobEvent,
    ReleaseJobSlotActivity releaseJobSlot,
    RecordBatchEndActivity recordBatchEnd)
{
    [Function(SubmitToFalActivity.Name)]
    public Task<SubmitToFalOutcome> SubmitToFal(
        [ActivityTrigger] SubmitToFalInput input, string instanceId, CancellationToken cancellationToken) =>
        runner.RunAsync(submitToFal, SubmitToFalActivity.Name, instanceId, input, cancellationToken);

    [Function(CheckFalStatusActivity.Name)]
    public Task<FalPoll> CheckFalStatus([ActivityTrigger] FalRequestRef input, string instanceId, CancellationToken cancellationToken) =>
        runner.RunAsync(checkFalStatus, CheckFalStatusActivity.Name, instanceId, input, cancellationToken);

    [Function(FetchFalResultActivity.Name)]
    public Task<FalCompletion> FetchFalResult(
        [ActivityTrigger] FalResultQuery input, string instanceId, CancellationToken cancellationToken) =>
        runner.RunAsync(fetchFalResult, FetchFalResultActivity.Name, instanceId, input, cancellationToken);

    [Function(CancelFalRequestActivity.Name)]
    public Task<bool> CancelFalRequest([ActivityTrigger] FalRequestRef input, string instanceId, CancellationToken cancellationToken) =>
        runner.RunAsync(cancelFalRequest, CancelFalRequestActivity.Name, instanceId, input, cancellationToken);

    [Function(StoreVideoActivity.Name)]
    public Task<StoreVideoOutcome> StoreVideo(
        [ActivityTrigger] StoreVideoInput input, string instanceId, CancellationToken cancellationToken) =>
        runner.RunAsync(storeVideo, StoreVideoActivity.Name, instanceId, input, cancellationToken);

    [Function(ReleaseJobSlotActivity.Name)]
    public Task<string?> ReleaseJobSlot([ActivityTrigger] JobSlot input, string instanceId, CancellationToken cancellationToken) =>
        runner.RunAsync(releaseJobSlot, ReleaseJobSlotActivity.Name, instanceId, input, cancellationToken);

    [Function(WriteErrorMarkerActivity.Name)]
    public Task<string> WriteErrorMarker(
        [ActivityTrigger] ErrorMarkerInput input, string instanceId, CancellationToken cancellationToken) =>
        runner.RunAsync(writeErrorMarker, WriteErrorMarkerActivity.Name, instanceId, input, cancellationToken);

    [Function(PublishJobEventActivity.Name)]
    public Task<bool> PublishJobEvent([ActivityTrigger] JobEvent input, string instanceId, CancellationToken cancellationToken) =>
        runner.RunAsync(publishJobEvent, PublishJobEventActivity.Name, instanceId, input, cancellationToken);

    [Function(RecordBatchEndActivity.Name)]
    public Task<bool> RecordBatchEnd(
        [ActivityTrigger] Pipeline.Core.Batches.BatchJobEnd input, string instanceId, CancellationToken cancellationToken) =>
        runner.RunAsync(recordBatchEnd, RecordBatchEndActivity.Name, instanceId, input, cancellationToken);
}
