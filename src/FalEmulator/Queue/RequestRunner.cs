using FalEmulator.Faults;
using FalEmulator.Model;
using FalEmulator.Options;
using FalEmulator.Webhooks;
using Microsoft.Extensions.Options;

namespace FalEmulator.Queue;

/// <summary>
/// Moves each accepted request through fal's lifecycle: IN_QUEUE (at least the queue latency, then until one of the
/// instance's runners is free) → IN_PROGRESS (the model runs; at least the run latency) → COMPLETED → webhook.
/// </summary>
public sealed partial class RequestRunner : IDisposable
{
    private readonly SeedanceModel _model;
    private readonly WebhookDispatcher _webhooks;
    private readonly TimeProvider _time;
    private readonly FalEmulatorOptions _options;
    private readonly ILogger<RequestRunner> _logger;
    private readonly RunnerPool _runners;
    private readonly CancellationTokenSource _stopping = new();
    private readonly string _workDirectory;
    private readonly bool _ownsWorkDirectory;

    public RequestRunner(SeedanceModel model, WebhookDispatcher webhooks, TimeProvider time, IOptions<FalEmulatorOptions> options,
        ILogger<RequestRunner> logger)
    {
        _model = model;
        _webhooks = webhooks;
        _time = time;
        _options = options.Value;
        _logger = logger;
        _runners = new RunnerPool(_options.Runners, time);
        // Downloaded inputs live beside the renders; a folder the emulator made for itself goes when it stops.
        _ownsWorkDirectory = string.IsNullOrEmpty(_options.WorkDirectory);
        _workDirectory = _ownsWorkDirectory
            ? Path.Combine(Path.GetTempPath(), $"fal-emulator-inputs-{Guid.NewGuid():N}")
            : Path.Combine(_options.WorkDirectory, "inputs");
        Directory.CreateDirectory(_workDirectory);
    }

    /// <summary>Starts the request's lifecycle in the background.</summary>
    public void Start(QueuedRequest request, string mediaBaseUrl) =>
        _ = Task.Run(() => RunAsync(request, mediaBaseUrl));

    private async Task RunAsync(QueuedRequest request, string mediaBaseUrl)
    {
        var stopping = _stopping.Token;
        try
        {
            await ProcessAsync(request, mediaBaseUrl, stopping);
            await _webhooks.DeliverAsync(request, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The emulator is shutting down.
        }
        catch (Exception e)
        {
            // A fault in the emulator itself still ends the request, as fal's runner errors do.
            LogRunnerFailure(e, request.RequestId);
            if (request.TryComplete(SeedanceModel.ModelFailure(500), _time.GetUtcNow()))
            {
                await _webhooks.DeliverAsync(request, stopping);
            }
        }
    }

    private async Task ProcessAsync(QueuedRequest request, string mediaBaseUrl, CancellationToken stopping)
    {
        using var waitQueue = CancellationTokenSource.CreateLinkedTokenSource(stopping, request.CancellationToken);
        try
        {
            var readyAt = request.SubmittedAt + _options.Scale(request.Faults.QueueLatency ?? _options.QueueLatency);
            await _runners.AcquireAsync(request.Sequence, readyAt, waitQueue.Token);
        }
        catch (OperationCanceledException) when (request.CancellationRequested && !stopping.IsCancellationRequested)
        {
            return; // cancelled while queued: RequestCancel already completed it as removed
        }

        try
        {
            var startedAt = _time.GetUtcNow();
            if (!request.TryStart(startedAt))
            {
                return;
            }

            request.Log("Request picked up by a runner", startedAt);

            // A model told to ignore cancellation finishes normally; otherwise the cancel signal stops it.
            using var run = request.Faults.IgnoreCancel
                ? CancellationTokenSource.CreateLinkedTokenSource(stopping)
                : CancellationTokenSource.CreateLinkedTokenSource(stopping, request.CancellationToken);
            try
            {
                var (outcome, videoPath) = await _model.RunAsync(request, _workDirectory, mediaBaseUrl, run.Token);
                // Refused input comes back at once; a generation (successful or failing) takes the run latency.
                var generated = outcome.Succeeded || request.Faults.Result == ResultFault.Error;
                var runLatency = _options.Scale(request.Faults.RunLatency ?? _options.RunLatency);
                var remaining = runLatency - (_time.GetUtcNow() - startedAt);
                if (generated && remaining > TimeSpan.Zero)
                {
                    await Task.Delay(remaining, _time, run.Token);
                }

                request.Log("Generation finished", _time.GetUtcNow());
                request.TryComplete(outcome, _time.GetUtcNow(), videoPath);
            }
            catch (OperationCanceledException) when (request.CancellationRequested && !stopping.IsCancellationRequested)
            {
                request.TryComplete(QueuedRequest.Cancelled(), _time.GetUtcNow());
            }
        }
        finally
        {
            _runners.Release();
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _runners.Dispose();
        if (_ownsWorkDirectory)
        {
            try
            {
                Directory.Delete(_workDirectory, recursive: true);
            }
            catch (IOException)
            {
                // a file still open by a request being torn down; the temp folder is cleaned by the system
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The emulated runner failed on {RequestId}")]
    private partial void LogRunnerFailure(Exception exception, string requestId);
}
