namespace Pipeline.IntegrationTests.Support;

/// <summary>
/// Tests that load the whole machine (bursts of hundreds of jobs, a browser): they run after the others, one at a
/// time, so that their timings and the others' do not fight over two cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunAlone
{
    public const string Name = "Run alone";
}
