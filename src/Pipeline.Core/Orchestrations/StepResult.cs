using Pipeline.Core.Steps;

namespace Pipeline.Core.Orchestrations;

/// <summary>What asking a step came to: its answer, or why it failed (after any patience the caller asked for).</summary>
internal abstract record StepResult<T>
{
    private StepResult()
    {
    }

    public sealed record Answered(T Value) : StepResult<T>;

    public sealed record Failed(StepFailure Failure) : StepResult<T>;

    public T? ValueOrDefault => this is Answered answered ? answered.Value : default;
}

/// <summary>How long a step is tried: the first pause, the longest, and when to stop.</summary>
internal sealed record Patience(TimeSpan FirstDelay, TimeSpan MaxDelay, DateTime GiveUpAt)
{
    public TimeSpan After(TimeSpan delay) => TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
}
