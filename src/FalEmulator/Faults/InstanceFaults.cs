using FalEmulator.Options;
using Microsoft.Extensions.Options;

namespace FalEmulator.Faults;

/// <summary>The faults every request of this instance meets unless it says otherwise; changeable while running.</summary>
public sealed class InstanceFaults(IOptions<FalEmulatorOptions> options)
{
    private volatile Snapshot _current = new(options.Value.DefaultFaults, FaultPlan.Parse(options.Value.DefaultFaults));

    public string Spec => _current.Spec;

    public FaultPlan Plan => _current.Plan;

    /// <summary>Replaces the instance's faults; throws <see cref="FormatException"/> on a bad spec.</summary>
    public void Set(string? spec) => _current = new Snapshot(spec ?? "", FaultPlan.Parse(spec));

    private sealed record Snapshot(string Spec, FaultPlan Plan);
}
