using FalEmulator.Options;
using Microsoft.Extensions.Options;

namespace FalEmulator.Faults;

/// <summary>
/// An outage of the platform API's request history, instance-wide: while it lasts the listing answers 503, so tests can
/// see what a caller does when it cannot find out whether a lost submit was queued. Set with
/// <c>PUT /_emulator/history-outage</c> or <see cref="FalEmulatorHost.SetHistoryOutage"/>.
/// </summary>
public sealed class HistoryOutage(TimeProvider time, IOptions<FalEmulatorOptions> options)
{
    private readonly Lock _gate = new();
    private DateTimeOffset? _until;

    /// <summary>When the outage ends; <see cref="DateTimeOffset.MaxValue"/> until it is turned off; null when there is none.</summary>
    public DateTimeOffset? Until
    {
        get
        {
            lock (_gate)
            {
                return _until > time.GetUtcNow() ? _until : null;
            }
        }
    }

    public bool IsActive => Until is not null;

    /// <summary>
    /// <c>on</c> (until turned off), <c>off</c>, or a duration in the fault syntax (<c>30s</c>, emulated time, scaled
    /// by the time factor); throws <see cref="FormatException"/> otherwise.
    /// </summary>
    public void Set(string spec)
    {
        var value = spec.Trim().ToLowerInvariant();
        DateTimeOffset? until = value switch
        {
            "on" => DateTimeOffset.MaxValue,
            "off" or "" => null,
            _ => time.GetUtcNow() + options.Value.Scale(FaultPlan.ParseDuration("history-outage", value)),
        };
        lock (_gate)
        {
            _until = until;
        }
    }
}
