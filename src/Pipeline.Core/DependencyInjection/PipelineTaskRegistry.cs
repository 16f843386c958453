using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;
using Pipeline.Core.Steps;
using Pipeline.Core.Submits;
using Pipeline.Core.Fal;

namespace Pipeline.Core.DependencyInjection;

/// <summary>
/// Registers the orchestrator and activities with a Durable Task worker (the local host, the tests) under the same names
/// the Functions app gives its <c>[Function]</c>s, so both run the same code.
/// </summary>
public static class PipelineTaskRegistry
{
    /// <param name="orchestrator">
    /// The orchestrator to run (default: <see cref="VideoJobOrchestrator.RunAsync"/>); the benchmark wraps it to count
    /// episodes.
    /// </param>
    public static DurableTaskRegistry AddPipelineTasks(
        this DurableTaskRegistry registry, Func<TaskOrchestrationContext, VideoJob, Task<VideoJobResult>>? orchestrator = null)
    {
        registry.AddOrchestratorFunc(VideoJobOrchestrator.Name, orchestrator ?? VideoJobOrchestrator.RunAsync);
        registry.AddOrchestratorFunc<JobCallbacks, Callbacks.CallbackReport>(
            JobCallbacksOrchestrator.Name, JobCallbacksOrchestrator.RunAsync);
        Add<SubmitToFalActivity, SubmitToFalInput, SubmitToFalOutcome>(registry, SubmitToFalActivity.Name);
        Add<CheckFalStatusActivity, FalRequestRef, FalPoll>(registry, CheckFalStatusActivity.Name);
        Add<FetchFalResultActivity, FalResultQuery, FalCompletion>(registry, FetchFalResultActivity.Name);
        Add<CancelFalRequestActivity, FalRequestRef, bool>(registry, CancelFalRequestActivity.Name);
        Add<StoreVideoActivity, StoreVideoInput, StoreVideoOutcome>(registry, StoreVideoActivity.Name);
        Add<WriteErrorMarkerActivity, ErrorMarkerInput, string>(registry, WriteErrorMarkerActivity.Name);
        Add<PublishJobEventActivity, JobEvent, bool>(registry, PublishJobEventActivity.Name);
        Add<ReleaseJobSlotActivity, JobSlot, string?>(registry, ReleaseJobSlotActivity.Name);
        Add<RecordBatchEndActivity, Batches.BatchJobEnd, bool>(registry, RecordBatchEndActivity.Name);
        Add<DeliverCallbackActivity, CallbackDeliveryInput, Callbacks.CallbackAttempt>(registry, DeliverCallbackActivity.Name);
        AddStep<SubmitToFalActivity, SubmitToFalInput, SubmitToFalOutcome>(registry, JobSteps.Submit);
        AddStep<FindAtFalActivity, FindAtFalInput, FalSearch>(registry, JobSteps.FindAtFal);
        AddStep<CheckFalStatusActivity, FalRequestRef, FalPoll>(registry, JobSteps.Poll);
        AddStep<FetchFalResultActivity, FalResultQuery, FalCompletion>(registry, JobSteps.ReadResult);
        AddStep<CancelFalRequestActivity, FalRequestRef, bool>(registry, JobSteps.Cancel);
        AddStep<StoreVideoActivity, StoreVideoInput, StoreVideoOutcome>(registry, JobSteps.Store);
        AddStep<WriteErrorMarkerActivity, ErrorMarkerInput, string>(registry, JobSteps.MarkFailure);
        AddStep<AnnounceJobEventActivity, JobAnnouncement, AnnounceOutcome>(registry, JobSteps.Announce);
        AddStep<ReleaseJobSlotActivity, JobSlot, string?>(registry, JobSteps.Settle);
        AddStep<RecordBatchEndActivity, Batches.BatchJobEnd, bool>(registry, JobSteps.RecordInBatch);
        return registry;
    }

    /// <summary>A version 3 step: the same activity class, under the step's name, in its question-and-answer envelope.</summary>
    private static void AddStep<TActivity, TInput, TOutput>(DurableTaskRegistry registry, string name)
        where TActivity : IPipelineActivity<TInput, TOutput> =>
        registry.AddActivity(name, services => new StepAdapter<TActivity, TInput, TOutput>(
            services.GetRequiredService<TActivity>(), services.GetRequiredService<StepRunner>()));

    private sealed class StepAdapter<TActivity, TInput, TOutput>(TActivity activity, StepRunner runner) : TaskActivity<StepCall, StepAnswer>
        where TActivity : IPipelineActivity<TInput, TOutput>
    {
        public override Task<StepAnswer> RunAsync(TaskActivityContext context, StepCall input) =>
            runner.RunAsync(activity, input, context.InstanceId, CancellationToken.None);
    }

    private static void Add<TActivity, TInput, TOutput>(DurableTaskRegistry registry, string name)
        where TActivity : IPipelineActivity<TInput, TOutput> =>
        registry.AddActivity(name, services => new Adapter<TActivity, TInput, TOutput>(
            services.GetRequiredService<TActivity>(), services.GetRequiredService<PipelineActivityRunner>(), name));

    private sealed class Adapter<TActivity, TInput, TOutput>(TActivity activity, PipelineActivityRunner runner, string name)
        : TaskActivity<TInput, TOutput>
        where TActivity : IPipelineActivity<TInput, TOutput>
    {
        public override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) =>
            runner.RunAsync(activity, name, context.InstanceId, input, CancellationToken.None);
    }
}
