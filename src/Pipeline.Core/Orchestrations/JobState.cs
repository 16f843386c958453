using Pipeline.Core.Activities;
using Pipeline.Core.Costs;
using Pipeline.Core.Requests;
using Pipeline.Core.Jobs;
using Pipeline.Core.Fal;

namespace Pipeline.Core.Orchestrations;

/// <summary>
/// What a version 3 job knows of itself, in one record the steps replace as they learn: what the job turned out to be
/// (an inbox drop's mode, end user and correlation come from the drop), its requests at fal and their fates, and when
/// things happened. Rebuilt the same on every replay from the steps' recorded answers.
/// </summary>
internal sealed record JobState(VideoMode Mode, string? EndUserId, IReadOnlyDictionary<string, string>? Correlation, string OutputBlob)
{
    public JobCost? Cost { get; init; }

    public string? Prompt { get; init; }

    /// <summary>Submits made so far (each has its record in the submit ledger).</summary>
    public int Attempts { get; init; }

    /// <summary>Requests fal confirmed (by its answer, a webhook or its request history), oldest first.</summary>
    public IReadOnlyList<FalRequestRef> Requests { get; init; } = [];

    /// <summary>Every request id the job caused, however the job learned it.</summary>
    public IReadOnlyList<string> RequestIds { get; init; } = [];

    /// <summary>Requests that ended without a video (fal's error, or fal no longer knows them).</summary>
    public IReadOnlyList<string> Failed { get; init; } = [];

    /// <summary>Submits whose answer was lost and that no webhook or history has named yet.</summary>
    public int Unconfirmed { get; init; }

    /// <summary>Until when a lost submit may still show up at fal (it counts as a chance of a video until then).</summary>
    public DateTime? UnconfirmedUntil { get; init; }

    public bool HoldsSlot { get; init; }

    public int SlotWaits { get; init; }

    /// <summary>A job event could not be delivered and waits in the outbox: later events of the job queue behind it.</summary>
    public bool EventsKept { get; init; }

    public bool RecordedInBatch { get; init; }

    public DateTimeOffset? SubmittedAt { get; init; }

    public DateTimeOffset? FalCompletedAt { get; init; }

    /// <summary>When the job stops waiting for fal; time spent waiting for fal to come back moves it on.</summary>
    public DateTime Deadline { get; init; }

    /// <summary>Since when fal has been away for the submit, and the pause before the next try.</summary>
    public DateTime? FalAwaySince { get; init; }

    public TimeSpan? FalAwayDelay { get; init; }

    /// <summary>Submit tries that found fal (or storage) away, shown in the job's <c>retrying</c>.</summary>
    public int FalAwayTries { get; init; }

    /// <summary>Submits whose answer was lost, all told (each may be billed).</summary>
    public int LostSubmits { get; init; }

    /// <summary>Status calls in a row that fal answered 404 for the request the job follows.</summary>
    public int LostPolls { get; init; }

    /// <summary>The last error fal reported for one of the job's requests.</summary>
    public Jobs.FalCompletion? LastFailure { get; init; }

    /// <summary>Whether any submit may have reached fal (and may be billed).</summary>
    public bool ReachedFal => RequestIds.Count > 0 || Unconfirmed > 0;

    /// <summary>The request the job follows: the newest that has not failed.</summary>
    public FalRequestRef? Following => Requests.LastOrDefault(r => !Failed.Contains(r.RequestId));

    public string? LastRequestId => Following?.RequestId ?? (RequestIds.Count > 0 ? RequestIds[^1] : null);

    public JobState WithRequestId(string requestId) =>
        RequestIds.Contains(requestId) ? this : this with { RequestIds = [.. RequestIds, requestId] };

    public JobState WithRequest(FalRequestRef request) =>
        Requests.Any(r => r.RequestId == request.RequestId)
            ? this
            : (this with { Requests = [.. Requests, request] }).WithRequestId(request.RequestId);

    public JobState WithFailed(string requestId) =>
        Failed.Contains(requestId) ? this : (this with { Failed = [.. Failed, requestId] }).WithRequestId(requestId);

    /// <summary>
    /// A request of the job that may still end with a video: one fal has and has not failed, or a lost submit still in
    /// its time.
    /// </summary>
    public bool MayStillSucceed(DateTime now) => Following is not null || (Unconfirmed > 0 && now < UnconfirmedUntil);
}
