namespace Pipeline.Bench.Accounting;

/// <summary>
/// How long a scenario took: on the wall clock, and in CPU time of this process (the pipeline, with the benchmark's
/// Event Grid sink), of the storage emulator and of the fal emulator (null where a process could not be read).
/// </summary>
public sealed record TimeTaken(TimeSpan Wall, TimeSpan ProcessCpu, TimeSpan? AzuriteCpu, TimeSpan? FalCpu);
