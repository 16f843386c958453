using Microsoft.Extensions.Hosting;

namespace Pipeline.Core.Submits;

/// <summary>
/// Keeps a stop of the host (a deploy, a scale-in, Ctrl+C) from cutting a submit in half: once the host is stopping no
/// submit starts (the step fails having sent nothing, and runs again after the restart), and the stop waits for the
/// submits already sending to hear fal's answer and record it. Only a hard crash can then leave a submit's outcome
/// unknown. Registered as the host's last hosted service, so that it is the first one stopped.
/// </summary>
public sealed partial class SubmitGate(IHostApplicationLifetime lifetime, ILogger<SubmitGate> logger) : IHostedService
{
    private readonly Lock _lock = new();
    private int _sending;
    private bool _closed;
    private TaskCompletionSource? _drained;

    /// <summary>Admits one submit, or null when the host is stopping; dispose it once fal's answer is recorded.</summary>
    public IDisposable? TryEnter()
    {
        lock (_lock)
        {
            if (_closed || lifetime.ApplicationStopping.IsCancellationRequested)
            {
                return null;
            }

            _sending++;
            return new Pass(this);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Closes the gate and waits (within the host's stop timeout) for the submits under way.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task drained;
        lock (_lock)
        {
            _closed = true;
            if (_sending == 0)
            {
                return;
            }

            LogWaiting(_sending);
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            drained = _drained.Task;
        }

        await drained.WaitAsync(cancellationToken);
    }

    private void Leave()
    {
        lock (_lock)
        {
            if (--_sending == 0)
            {
                _drained?.TrySetResult();
            }
        }
    }

    private sealed class Pass(SubmitGate gate) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                gate.Leave();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: waiting for {Sending} submit(s) to fal to hear fal's answer")]
    private partial void LogWaiting(int sending);
}
