using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Logging;
using Pipeline.Core.Steps;
using Pipeline.Core.Submits;

namespace Pipeline.Core.Orchestrations;

/// <summary>Submitting: admit the job and send it once per attempt, waiting while fal is away or a lost answer is confirmed.</summary>
internal sealed partial class VideoJobRun
{
    /// <summary>Submits whose answer was lost before the job gives up (each may have been billed).</summary>
    private const int MaxLostSubmits = 2;

    private static readonly TimeSpan DefaultUnconfirmedSubmitWait = TimeSpan.FromMinutes(10);

    private async Task<Submission> SubmitAsync()
    {
        Progress(JobStages.Submitting);
        var companionWaited = false;
        while (true)
        {
            var outcome = await SubmitOnceAsync(_state.Attempts + 1, companionWaited);
            if (await AfterSubmitAsync(outcome) is { } submission)
            {
                return submission;
            }

            companionWaited |= outcome is SubmitToFalOutcome.WaitingForCompanion;
        }
    }

    /// <summary>What a submit's outcome comes to: how submitting ended, or null to submit again (after the wait it asked for).</summary>
    private async Task<Submission?> AfterSubmitAsync(SubmitToFalOutcome outcome) => outcome switch
    {
        SubmitToFalOutcome.Superseded superseded => new Submission.Over(await SupersededAsync(superseded)),
        SubmitToFalOutcome.NotSubmitted refused => new Submission.Over(await FailAsync(refused.Error)),
        SubmitToFalOutcome.Submitted submitted => await AcceptedAsync(submitted),
        SubmitToFalOutcome.WaitingForCompanion companion => Over(await WaitForCompanionAsync(companion.Wait)),
        SubmitToFalOutcome.WaitingForSlot => Over(await WaitForSlotAsync()),
        SubmitToFalOutcome.FalUnavailable away => Over(await WaitForFalToReturnAsync(away.Error)),
        SubmitToFalOutcome.OutcomeUnknown unknown => await UnknownAsync(unknown),
        _ => throw new InvalidOperationException($"unexpected submit outcome {outcome.Kind}"),
    };

    private static Submission.Over? Over(VideoJobResult? ended) => ended is null ? null : new Submission.Over(ended);

    /// <summary>Nothing was sent and nothing will be: a sidecar fed its image's job, or a manifest took the photo.</summary>
    private async Task<VideoJobResult> SupersededAsync(SubmitToFalOutcome.Superseded superseded)
    {
        await SettleAsync(); // it holds nothing but its place among the open jobs
        return Result(JobOutcome.Superseded, null, null, superseded.Reason is { } reason ? new JobError("superseded", reason) : null);
    }

    /// <summary>The submit may have reached fal: confirm it (webhook, request history), or null to submit again.</summary>
    private async Task<Submission?> UnknownAsync(SubmitToFalOutcome.OutcomeUnknown unknown)
    {
        _state = _state with { HoldsSlot = unknown.HoldsSlot };
        var confirmed = await ConfirmAsync();
        if (confirmed is null)
        {
            Progress(JobStages.Submitting);
        }

        return confirmed;
    }

    /// <summary>
    /// One submit attempt. A step that failed before anything was sent (storage away, the drop unreadable for now) counts
    /// as fal being away; any other failure may have reached fal, so it is an unknown outcome, never a blind resubmit.
    /// </summary>
    private async Task<SubmitToFalOutcome> SubmitOnceAsync(int attempt, bool companionWaited)
    {
        var input = new SubmitToFalInput(
            JobId: _job.Id,
            Mode: _state.Mode,
            Request: _job.Request,
            Source: _job.Source,
            Announcement: Planned(JobEventTypes.Submitted, null, null, null),
            CreatedAt: _job.CreatedAt)
        {
            Attempt = attempt,
            CompanionWaited = companionWaited,
            Variant = _job.Variant,
            Steps = 3,
            Ended = _state.Failed.Count > 0 ? _state.Failed : null,
        };
        var answer = await _steps.AskAsync<SubmitToFalOutcome>(JobSteps.Submit, input, attempt: attempt);
        var outcome = answer switch
        {
            StepResult<SubmitToFalOutcome>.Answered { Value: { } answered } => answered,
            StepResult<SubmitToFalOutcome>.Failed { Failure: var f } when f.IsCausedBy<NothingSubmittedException>() =>
                new SubmitToFalOutcome.FalUnavailable(new JobError(_inbox ? "inbox_unreadable" : "submit_failed", f.Message)),
            _ => new SubmitToFalOutcome.OutcomeUnknown(HoldsSlot: true),
        };
        // A step that could not read its own record (storage away) is no proof that an earlier run of this attempt sent
        // nothing: the same attempt is asked again, so that it finds its claim once storage is back. Only fal's refusal,
        // recorded in the claim, moves on to the next attempt.
        var sameAttemptAgain = answer is StepResult<SubmitToFalOutcome>.Failed { Failure: var failed }
            && failed.IsCausedBy<NothingSubmittedException>();
        _state = _state with
        {
            Mode = outcome.Mode ?? _state.Mode,
            Cost = outcome.Cost ?? _state.Cost,
            EndUserId = outcome.EndUserId ?? _state.EndUserId,
            Correlation = outcome.Correlation ?? _state.Correlation,
            OutputBlob = outcome.OutputBlob ?? _state.OutputBlob,
            Prompt = outcome.Prompt ?? _state.Prompt,
            // An attempt that may have claimed its record takes its number (numbers may skip; records are listed, not counted).
            Attempts = !sameAttemptAgain && outcome is SubmitToFalOutcome.Submitted or SubmitToFalOutcome.OutcomeUnknown
                or SubmitToFalOutcome.FalUnavailable ? attempt : _state.Attempts,
        };
        return outcome;
    }

    /// <summary>fal has the job: it follows the request and announces it (unless the step did).</summary>
    private async Task<Submission> AcceptedAsync(SubmitToFalOutcome.Submitted submitted)
    {
        _state = _state.WithRequest(submitted.Request) with
        {
            HoldsSlot = submitted.HoldsSlot,
            SubmittedAt = submitted.SubmittedAt == default ? Now : submitted.SubmittedAt,
            EventsKept = _state.EventsKept || submitted.EventKept,
        };
        Progress(JobStages.Queued, submitted.QueuePosition);
        if (submitted.Announced)
        {
            Callback(JobEventTypes.Submitted, null, null, null);
        }
        else
        {
            await AnnounceAsync(JobEventTypes.Submitted, null, null, null);
        }

        return new Submission.AtFal();
    }

    /// <summary>
    /// fal (or storage) was away and nothing was sent: waits on a durable timer (5 s, doubling to 5 min) and lets the
    /// caller try again, for <see cref="JobTimings.FalUnavailableWait"/> from the first time; that wait does not count
    /// against the deadline. Returns the job's end when the wait is over or a cancel request came.
    /// </summary>
    private async Task<VideoJobResult?> WaitForFalToReturnAsync(JobError error)
    {
        var since = _state.FalAwaySince ?? Now;
        var delay = _state.FalAwayDelay ?? TimeSpan.FromSeconds(5);
        if (Now + delay > since + (_job.Timings.FalUnavailableWait ?? DefaultFalUnavailableWait))
        {
            return await FailAsync(error with { Message = $"{error.Message} (tried for {Now - since:g}; nothing was sent)" });
        }

        var nextAt = Now + delay;
        _log.WaitingForFal(_job.Id, error.Message, nextAt);
        var tries = _state.FalAwayTries + 1;
        var retry = new JobRetry("submit", tries, error.Message, new DateTimeOffset(nextAt, TimeSpan.Zero));
        Progress(JobStages.WaitingForFal, retrying: retry);
        var waited = await WaitAsync<object>(null, nextAt, deadline: null);
        _state = _state with
        {
            Deadline = _state.Deadline + delay, // waiting for fal to come back is not counted against the deadline
            FalAwaySince = since,
            FalAwayTries = tries,
            FalAwayDelay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMinutes(5).Ticks)),
        };
        Progress(JobStages.Submitting);
        return waited is WaitEnd.Cancelled ? await CancelledAsync() : null;
    }

    /// <summary>An inbox drop waits for its companion (sidecar or image); null when the job may go on.</summary>
    private async Task<VideoJobResult?> WaitForCompanionAsync(TimeSpan wait)
    {
        Progress(JobStages.Preparing);
        var waited = await WaitAsync<object>(null, Now + wait, _state.Deadline);
        Progress(JobStages.Submitting);
        return waited is WaitEnd.Elapsed ? null : await EndBeforeFalAsync(waited, "no request could be made of the drop");
    }

    /// <summary>
    /// Waits until a job that gave its slot back wakes this one, or the backoff passes (a wake-up lost with a job that
    /// died); null when the job may look again.
    /// </summary>
    private async Task<VideoJobResult?> WaitForSlotAsync()
    {
        _state = _state with { SlotWaits = _state.SlotWaits + 1 };
        Progress(JobStages.WaitingForSlot);
        var waited = await WaitAsync(SlotFreedWait, Now + SlotBackoff(_state.SlotWaits), _state.Deadline);
        return waited is WaitEnd.Elapsed or WaitEnd.Delivered<string>
            ? null
            : await EndBeforeFalAsync(waited, "no slot at fal became free (Costs__MaxConcurrentJobs)");
    }

    /// <summary>A wait before anything reached fal ended: by a cancel request, or by the deadline.</summary>
    private async Task<VideoJobResult> EndBeforeFalAsync(WaitEnd ended, string what) =>
        ended is WaitEnd.Cancelled
            ? await CancelledAsync()
            : await FailAsync(new JobError("deadline_exceeded", $"{what} within {_job.Timings.Deadline}; nothing was submitted"));

    /// <summary>
    /// After a submit whose answer was lost: fal may have queued it, and its webhook names this job. Waits for that
    /// webhook and looks in fal's request history each poll interval, for <see cref="JobTimings.UnconfirmedSubmitWait"/>
    /// and, while the history cannot be read (fal away), on until it can (at most <see cref="JobTimings.FalUnavailableWait"/>):
    /// an unread history proves nothing. Returns how submitting ended, or null when the job may submit again (at most
    /// <see cref="MaxLostSubmits"/> lost).
    /// </summary>
    private async Task<Submission?> ConfirmAsync()
    {
        var until = Now + (_job.Timings.UnconfirmedSubmitWait ?? DefaultUnconfirmedSubmitWait);
        _state = _state with { LostSubmits = _state.LostSubmits + 1, Unconfirmed = _state.Unconfirmed + 1, UnconfirmedUntil = until };
        Progress(JobStages.ConfirmingSubmit);
        DateTime? unreadableSince = null;
        while (Now < until || HistoryMayYetBeRead(unreadableSince))
        {
            var wakeAt = Now + _job.Timings.PollInterval;
            wakeAt = Now < until && wakeAt > until ? until : wakeAt;
            switch (await WaitAsync(WebhookWait, wakeAt, _state.Deadline))
            {
                case WaitEnd.Delivered<FalCompletion> delivered:
                    if (await ConfirmedByWebhookAsync(delivered.Value) is { } ended)
                    {
                        return ended;
                    }

                    continue;
                case WaitEnd.Cancelled:
                    return new Submission.Over(await CancelledAsync());
                case WaitEnd.DeadlinePassed:
                    return new Submission.Over(await FailAsync(new JobError("deadline_exceeded",
                        $"fal did not confirm the submit within {_job.Timings.Deadline}; it may still bill it")));
                case WaitEnd.Elapsed:
                    var search = await FindAtFalAsync();
                    if (search is { Found.Count: > 0 })
                    {
                        await AnnounceSubmittedLateAsync();
                        return new Submission.AtFal();
                    }

                    unreadableSince = search is null or { FalAway: true } ? unreadableSince ?? Now : null;
                    WaitForHistoryPastWindow(until, unreadableSince, search?.Problem);
                    break;
            }
        }

        return _state.LostSubmits < MaxLostSubmits ? null : new Submission.Over(await FailAsync(new JobError("submit_unconfirmed",
            $"fal did not answer {_state.LostSubmits} submit(s), sent no webhook and shows none in its request history within "
            + $"{_job.Timings.UnconfirmedSubmitWait ?? DefaultUnconfirmedSubmitWait}; not submitted again")));
    }

    /// <summary>The history could not be read when the window closed: fal's wait has not run out yet.</summary>
    private bool HistoryMayYetBeRead(DateTime? unreadableSince) =>
        unreadableSince is { } since && Now < since + (_job.Timings.FalUnavailableWait ?? DefaultFalUnavailableWait);

    /// <summary>
    /// Past the confirmation window with fal's history unreadable: the job waits for fal (shown as such), the lost
    /// submit stays a chance of a video, and the wait is not counted against the deadline.
    /// </summary>
    private void WaitForHistoryPastWindow(DateTime until, DateTime? unreadableSince, string? problem)
    {
        if (Now < until || unreadableSince is null)
        {
            return;
        }

        var next = Now + _job.Timings.PollInterval;
        _state = _state with { UnconfirmedUntil = next, Deadline = _state.Deadline + _job.Timings.PollInterval };
        Progress(JobStages.WaitingForFal, retrying: new JobRetry("find_at_fal", _state.LostSubmits,
            problem ?? "fal's request history could not be read", new DateTimeOffset(next, TimeSpan.Zero)));
    }

    /// <summary>
    /// A webhook names the lost submit: fal had it. Its success is the job's verdict; its error too, unless another
    /// submit may still succeed.
    /// </summary>
    private async Task<Submission?> ConfirmedByWebhookAsync(FalCompletion completion)
    {
        _state = _state.WithRequestId(completion.RequestId) with { Unconfirmed = Math.Max(0, _state.Unconfirmed - 1) };
        await AnnounceSubmittedLateAsync();
        if (completion.Succeeded || !_state.MayStillSucceed(Now))
        {
            return new Submission.Finished(completion);
        }

        _state = _state.WithFailed(completion.RequestId);
        return null;
    }

    /// <summary>
    /// Looks for the job's lost submits in fal's request history; the job now follows any it found. Null when the step
    /// itself failed (as unreadable as fal's error).
    /// </summary>
    private async Task<FalSearch?> FindAtFalAsync()
    {
        var search = (await _steps.AskAsync<FalSearch>(JobSteps.FindAtFal, new FindAtFalInput(_job.Id, _state.Mode))).ValueOrDefault;
        foreach (var found in search?.Found ?? [])
        {
            if (!_state.Requests.Any(r => r.RequestId == found.Request.RequestId))
            {
                _state = _state.WithRequest(found.Request) with { Unconfirmed = Math.Max(0, _state.Unconfirmed - 1) };
            }
        }

        return search;
    }

    /// <summary>A submit fal confirmed late was never announced: it is now (the same CloudEvent id as always).</summary>
    private async Task AnnounceSubmittedLateAsync()
    {
        if (_state.SubmittedAt is null)
        {
            _state = _state with { SubmittedAt = Now };
            await AnnounceAsync(JobEventTypes.Submitted, null, null, null);
        }
    }
}
