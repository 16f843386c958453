using System.Text.Json.Nodes;
using FalEmulator.Faults;
using FalEmulator.Model;
using FalEmulator.Recording;

namespace FalEmulator.Queue;

/// <summary>fal's three request states; a failed or cancelled request also ends COMPLETED.</summary>
public enum RequestState
{
    InQueue,
    InProgress,
    Completed,
}

/// <summary>How a completed request ended, as the result endpoint and the webhook report it.</summary>
/// <param name="StatusCode">The result endpoint's HTTP status (200 on success).</param>
/// <param name="Body">The model output on success, fal's error body otherwise.</param>
/// <param name="ErrorType">fal's <c>X-Fal-Error-Type</c> / <c>error_type</c> for failures, e.g. <c>client_cancelled</c>.</param>
public sealed record RequestOutcome(int StatusCode, JsonObject Body, string? ErrorType = null)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;
}

/// <summary>One request in the emulated queue. Mutable state is guarded by the instance's lock.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Reliability", "CA1001", Justification = "A CancellationTokenSource without a timer holds nothing to release.")]
public sealed class QueuedRequest
{
    private readonly Lock _gate = new();
    private readonly List<JsonObject> _logs = [];
    private readonly List<RecordedImage> _images = [];
    private readonly CancellationTokenSource _cancel = new();

    public QueuedRequest(string requestId, string endpointId, SeedanceInput? input, IReadOnlyList<FalErrorDetail> inputErrors,
        string? webhookUrl, FaultPlan faults, DateTimeOffset submittedAt, long sequence)
    {
        RequestId = requestId;
        EndpointId = endpointId;
        Input = input;
        InputErrors = inputErrors;
        WebhookUrl = webhookUrl;
        Faults = faults;
        SubmittedAt = submittedAt;
        Sequence = sequence;
    }

    public string RequestId { get; }

    /// <summary>Equals <see cref="RequestId"/>: fal makes them differ only when it retried the request internally.</summary>
    public string GatewayRequestId => RequestId;

    public string EndpointId { get; }

    public string App => SeedanceEndpoints.AppOf(EndpointId);

    /// <summary>The validated input, or null when validation failed (the request then completes with a 422).</summary>
    public SeedanceInput? Input { get; }

    public IReadOnlyList<FalErrorDetail> InputErrors { get; }

    /// <summary>
    /// The body exactly as submitted (a prompt's fault marker included), which the request history returns as
    /// <c>json_input</c>; kept as text because a parsed node is not safe to read from two threads.
    /// </summary>
    public string? SubmittedBody { get; init; }

    public string? WebhookUrl { get; }

    public FaultPlan Faults { get; }

    public DateTimeOffset SubmittedAt { get; }

    /// <summary>Submission order, for queue positions.</summary>
    public long Sequence { get; }

    public RequestState State { get { lock (_gate) { return _state; } } }

    private int _resultRefusals;

    /// <summary>Whether this result call is one of the first <see cref="FaultPlan.Result503"/>, which a gateway refuses.</summary>
    public bool TakeResultRefusal()
    {
        lock (_gate)
        {
            return _resultRefusals++ < Faults.Result503;
        }
    }

    public DateTimeOffset? StartedAt { get { lock (_gate) { return _startedAt; } } }

    /// <summary>When the result became available: the emulator's "fal finished" timestamp.</summary>
    public DateTimeOffset? CompletedAt { get { lock (_gate) { return _completedAt; } } }

    public RequestOutcome? Outcome { get { lock (_gate) { return _outcome; } } }

    /// <summary>
    /// How long the output stays downloadable after completion (<c>X-Fal-Object-Lifecycle-Preference</c>); null: no expiry.
    /// </summary>
    public TimeSpan? OutputLifetime { get; init; }

    /// <summary>When the platform API deleted the request's payloads and output files; null while they exist.</summary>
    public DateTimeOffset? PayloadsDeletedAt { get { lock (_gate) { return _payloadsDeletedAt; } } }

    private DateTimeOffset? _payloadsDeletedAt;

    /// <summary>Deletes the payloads (once; later calls keep the first time).</summary>
    public void DeletePayloads(DateTimeOffset at)
    {
        lock (_gate)
        {
            _payloadsDeletedAt ??= at;
        }
    }

    /// <summary>The local file of the output video once rendered.</summary>
    public string? VideoPath { get; private set; }

    public bool CancellationRequested => _cancel.IsCancellationRequested;

    /// <summary>Signalled when the caller cancels; the emulated model stops unless told to ignore it.</summary>
    public CancellationToken CancellationToken => _cancel.Token;

    private RequestState _state = RequestState.InQueue;
    private DateTimeOffset? _startedAt;
    private DateTimeOffset? _completedAt;
    private RequestOutcome? _outcome;

    public IReadOnlyList<JsonObject> Logs { get { lock (_gate) { return [.. _logs.Select(l => (JsonObject)l.DeepClone())]; } } }

    /// <summary>The input images the model downloaded, in the order it fetched them, refused ones included.</summary>
    public IReadOnlyList<RecordedImage> Images { get { lock (_gate) { return [.. _images]; } } }

    public void RecordImage(RecordedImage image)
    {
        lock (_gate)
        {
            _images.Add(image);
        }
    }

    public void Log(string message, DateTimeOffset at, string level = "INFO")
    {
        lock (_gate)
        {
            _logs.Add(new JsonObject
            {
                ["message"] = message,
                ["level"] = level,
                ["source"] = "USER",
                ["timestamp"] = at.ToString("O"),
            });
        }
    }

    /// <summary>IN_QUEUE → IN_PROGRESS; false when the request was cancelled (removed) while it waited.</summary>
    public bool TryStart(DateTimeOffset at)
    {
        lock (_gate)
        {
            if (_state != RequestState.InQueue)
            {
                return false;
            }

            _state = RequestState.InProgress;
            _startedAt = at;
            return true;
        }
    }

    /// <summary>Completes the request once; later calls change nothing.</summary>
    public bool TryComplete(RequestOutcome outcome, DateTimeOffset at, string? videoPath = null)
    {
        lock (_gate)
        {
            if (_state == RequestState.Completed)
            {
                return false;
            }

            _state = RequestState.Completed;
            _completedAt = at;
            _outcome = outcome;
            VideoPath = videoPath;
            return true;
        }
    }

    /// <summary>The cancel call: a queued request is removed, a running one is signalled.</summary>
    public CancelAnswer RequestCancel(DateTimeOffset at)
    {
        lock (_gate)
        {
            switch (_state)
            {
                case RequestState.Completed:
                    return CancelAnswer.AlreadyCompleted;
                case RequestState.InQueue:
                    _state = RequestState.Completed;
                    _completedAt = at;
                    _outcome = Cancelled();
                    _cancel.Cancel();
                    return CancelAnswer.RemovedFromQueue;
                default:
                    _cancel.Cancel();
                    return CancelAnswer.CancellationRequested;
            }
        }
    }

    /// <summary>fal's answer for a request cancelled by its caller (request-errors doc: 499, client_cancelled).</summary>
    public static RequestOutcome Cancelled() =>
        new(
            499,
            new JsonObject { ["detail"] = "Request cancelled by the client", ["error_type"] = "client_cancelled" },
            "client_cancelled");
}

public enum CancelAnswer
{
    RemovedFromQueue,
    CancellationRequested,
    AlreadyCompleted,
}
