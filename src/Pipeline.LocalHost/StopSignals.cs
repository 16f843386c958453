using System.Runtime.InteropServices;

namespace Pipeline.LocalHost;

/// <summary>
/// Ctrl+C and SIGTERM, heard from the process's first line. The host's own console lifetime listens only once it starts,
/// so a stop asked for while the host was being built was lost (the job then ran to its end) and one asked for while it
/// started made its start throw.
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private readonly PosixSignalRegistration[] _registrations;

    private StopSignals()
    {
        _registrations = [Register(PosixSignal.SIGINT), Register(PosixSignal.SIGTERM)];
    }

    /// <summary>Cancelled once a stop was asked for.</summary>
    public CancellationToken Requested => _requested.Token;

    public static StopSignals Listen() => new();

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _requested.Dispose();
    }

    private PosixSignalRegistration Register(PosixSignal signal) => PosixSignalRegistration.Create(signal, context =>
    {
        context.Cancel = true; // the host stops in order; the default would end the process at once
        _requested.Cancel();
    });
}
