using Pipeline.Core.Submits;

namespace Pipeline.Core.Activities;

/// <summary>Looks for a job's lost submits in fal's request history (<see cref="SubmitFinder"/>); found ones are recorded.</summary>
public sealed class FindAtFalActivity(SubmitFinder finder) : IPipelineActivity<FindAtFalInput, FalSearch>
{
    public Task<FalSearch> RunAsync(FindAtFalInput input, CancellationToken cancellationToken) =>
        finder.FindLostAsync(input.JobId, cancellationToken);
}
