using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Pipeline.Core.Jobs;
using Pipeline.Core.Orchestrations;

namespace Pipeline.Functions.Orchestration;

/// <summary>The job's orchestrator function: the core orchestrator, under the name the starters schedule.</summary>
public static class VideoJobOrchestration
{
    [Function(VideoJobOrchestrator.Name)]
    public static Task<VideoJobResult> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context) =>
        VideoJobOrchestrator.RunAsync(
            context, context.GetInput<VideoJob>() ?? throw new InvalidOperationException("a video job needs its input"));
}
