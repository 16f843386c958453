using Pipeline.Core.Telemetry;

namespace Pipeline.Core.Activities;

/// <summary>
/// How both hosts run an activity: inside a span named after it and a logging scope, both carrying the job's id and
/// what the input and the outcome tell of the job (<see cref="IDescribesJob"/>), so every line an activity logs is
/// found by job. The job id is the orchestration's instance id, which each host hands over.
/// </summary>
public sealed class PipelineActivityRunner(ILoggerFactory loggers)
{
    public async Task<TOutput> RunAsync<TInput, TOutput>(
        IPipelineActivity<TInput, TOutput> activity, string name, string jobId, TInput input, CancellationToken cancellationToken)
    {
        using var telemetry = JobTelemetry.Start(loggers.CreateLogger(activity.GetType()), name, jobId);
        Learn(telemetry, input);
        try
        {
            var output = await activity.RunAsync(input, cancellationToken);
            Learn(telemetry, output);
            return output;
        }
        catch (Exception e)
        {
            telemetry.Fail(e);
            throw;
        }
    }

    private static void Learn(JobTelemetry telemetry, object? described)
    {
        if (described is IDescribesJob job)
        {
            var (mode, endUserId, falRequestId) = job.Describe();
            telemetry.Learn(mode, endUserId, falRequestId);
        }
    }
}
