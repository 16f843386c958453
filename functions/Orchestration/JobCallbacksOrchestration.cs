using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Pipeline.Core.Activities;
using Pipeline.Core.Callbacks;
using Pipeline.Core.Orchestrations;

namespace Pipeline.Functions.Orchestration;

/// <summary>A job's callback deliveries: the core orchestrator and its one activity, under the names the core uses.</summary>
public sealed class JobCallbacksOrchestration(PipelineActivityRunner runner, DeliverCallbackActivity deliver)
{
    [Function(JobCallbacksOrchestrator.Name)]
    public static Task<CallbackReport> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context) =>
        JobCallbacksOrchestrator.RunAsync(
            context, context.GetInput<JobCallbacks>() ?? throw new InvalidOperationException("a job's callbacks need their input"));

    [Function(DeliverCallbackActivity.Name)]
    public Task<CallbackAttempt> DeliverCallback([ActivityTrigger] CallbackDeliveryInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(deliver, DeliverCallbackActivity.Name, input.JobId, input, cancellationToken);
}
