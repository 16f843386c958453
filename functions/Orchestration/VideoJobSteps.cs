using Microsoft.Azure.Functions.Worker;
using Pipeline.Core.Activities;
using Pipeline.Core.Steps;

namespace Pipeline.Functions.Orchestration;

/// <summary>
/// The steps of a version 3 job, each one line into the core activity it runs, in its question-and-answer envelope
/// (<see cref="StepRunner"/>). <c>instanceId</c> is the calling orchestration's id: the job id.
/// </summary>
public sealed class VideoJobSteps(
    StepRunner steps,
    SubmitToFalActivity submit,
    FindAtFalActivity findAtFal,
    CheckFalStatusActivity poll,
    FetchFalResultActivity readResult,
    CancelFalRequestActivity cancel,
    StoreVideoActivity store,
    WriteErrorMarkerActivity markFailure,
    AnnounceJobEventActivity announce,
    ReleaseJobSlotActivity settle,
    RecordBatchEndActivity recordInBatch)
{
    [Function(JobSteps.Submit)]
    public Task<StepAnswer> Submit([ActivityTrigger] StepCall call, string instanceId, CancellationToken ct) =>
        steps.RunAsync(submit, call, instanceId, ct);

    [Function(JobSteps.FindAtFal)]
    public Task<StepAnswer> FindAtFal([ActivityTrigger] StepCall call, string instanceId, CancellationToken ct) =>
        steps.RunAsync(findAtFal, call, instanceId, ct);

    [Function(JobSteps.Poll)]
    public Task<StepAnswer> Poll([ActivityTrigger] StepCall call, string instanceId, CancellationToken ct) =>
        steps.RunAsync(poll, call, instanceId, ct);

    [Function(JobSteps.ReadResult)]
    public Task<StepAnswer> ReadResult([ActivityTrigger] StepCall call, string instanceId, CancellationToken ct) =>
        steps.RunAsync(readResult, call, instanceId, ct);

    [Function(JobSteps.Cancel)]
    public Task<StepAnswer> Cancel([ActivityTrigger] StepCall call, string instanceId, CancellationToken ct) =>
        steps.RunAsync(cancel, call, instanceId, ct);

    [Function(JobSteps.Store)]
    public Task<StepAnswer> Store([ActivityTrigger] StepCall call, string instanceId, CancellationToken ct) =>
        steps.RunAsync(store, call, instanceId, ct);

    [Function(JobSteps.MarkFailure)]
    public Task<StepAnswer> MarkFailure([ActivityTrigger] StepCall call, string instanceId, CancellationToken ct) =>
        steps.RunAsync(markFailure, call, instanceId, ct);

    [Function(JobSteps.Announce)]
    public Task<StepAnswer> Announce([ActivityTrigger] StepCall call, string instanceId, CancellationToken ct) =>
        steps.RunAsync(announce, call, instanceId, ct);

    [Function(JobSteps.Settle)]
    public Task<StepAnswer> Settle([ActivityTrigger] StepCall call, string instanceId, CancellationToken ct) =>
        steps.RunAsync(settle, call, instanceId, ct);

    [Function(JobSteps.RecordInBatch)]
    public Task<StepAnswer> RecordInBatch([ActivityTrigger] StepCall call, string instanceId, CancellationToken ct) =>
        steps.RunAsync(recordInBatch, call, instanceId, ct);
}
