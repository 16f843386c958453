namespace Pipeline.Core.Activities;

/// <summary>
/// An activity of the video job, as a plain DI class: the Functions app calls it from an <c>[ActivityTrigger]</c>
/// function and the Durable Task worker through <see cref="DependencyInjection.PipelineTaskRegistry"/>; the logic is here once.
/// </summary>
public interface IPipelineActivity<in TInput, TOutput>
{
    Task<TOutput> RunAsync(TInput input, CancellationToken cancellationToken);
}
