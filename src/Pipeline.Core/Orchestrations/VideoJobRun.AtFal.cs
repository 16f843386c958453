using Pipeline.Core.Activities;
using Pipeline.Core.Jobs;
using Pipeline.Core.Logging;
using Pipeline.Core.Steps;

namespace Pipeline.Core.Orchestrations;

/// <summary>Waiting for fal's verdict: its webhook, or a poll each time the timer wins; and stopping at fal.</summary>
internal sealed partial class VideoJobRun
{
    /// <summary>Status calls in a row that fal answers 404 before the job stops waiting for a request fal has lost.</summary>
    private const int MaxLostPolls = 3;

    private async Task<FalVerdict> WaitForFalAsync()
    {
        var wait = _job.Timings.WebhookWait;
        while (true)
        {
            var waited = await WaitAsync(WebhookWait, Now + wait, _state.Deadline);
            wait = _job.Timings.PollInterval;
            var verdict = waited switch
            {
                WaitEnd.Cancelled => new FalVerdict.Stopped(StopReason.Cancelled),
                WaitEnd.DeadlinePassed => new FalVerdict.Stopped(StopReason.DeadlinePassed),
                WaitEnd.Delivered<FalCompletion> delivered => Judge(delivered.Value),
                _ => await PollAsync(),
            };
            if (verdict is not null)
            {
                return verdict;
            }
        }
    }

    /// <summary>
    /// fal's word on one of the job's requests: a video is the job's verdict; an error is too, unless another request of
    /// the job may still bring one. A request the job does not know is not its own, unless a lost submit may be it.
    /// </summary>
    private FalVerdict.Finished? Judge(FalCompletion completion)
    {
        if (!_state.RequestIds.Contains(completion.RequestId))
        {
            if (_state.Unconfirmed == 0)
            {
                _log.ForeignWebhookIgnored(_job.Id, completion.RequestId, _state.LastRequestId ?? "none");
                return null;
            }

            _state = _state.WithRequestId(completion.RequestId) with { Unconfirmed = _state.Unconfirmed - 1 }; // a lost submit after all
        }

        if (completion.Succeeded)
        {
            return new FalVerdict.Finished(completion);
        }

        _state = _state.WithFailed(completion.RequestId) with { LastFailure = completion };
        return _state.MayStillSucceed(Now) ? null : new FalVerdict.Finished(completion);
    }

    /// <summary>Asks fal about the request the job follows (and its history about lost submits); a verdict, or null to wait on.</summary>
    private async Task<FalVerdict?> PollAsync()
    {
        if (_state.Unconfirmed > 0)
        {
            await FindAtFalAsync();
        }

        if (_state.Following is not { } request)
        {
            return _state.MayStillSucceed(Now) ? null : Ended();
        }

        var poll = (await _steps.AskAsync<FalPoll>(JobSteps.Poll, request, request.RequestId)).ValueOrDefault;
        if (poll?.Completion is { } completion)
        {
            return Judge(completion);
        }

        _state = _state with { LostPolls = poll is { NotFound: true } ? _state.LostPolls + 1 : poll is null ? _state.LostPolls : 0 };
        if (_state.LostPolls >= MaxLostPolls)
        {
            _state = _state.WithFailed(request.RequestId) with { LostPolls = 0 };
            return _state.MayStillSucceed(Now) ? null : Ended();
        }

        if (poll is { NotFound: false })
        {
            Progress(poll.State == Fal.FalRequestState.InQueue ? JobStages.Queued : JobStages.Running, poll.QueuePosition);
        }

        return null;
    }

    /// <summary>Every request of the job ended without a video: the last error is the verdict.</summary>
    private FalVerdict Ended() =>
        _state.LastFailure is { } failure ? new FalVerdict.Finished(failure) : new FalVerdict.Stopped(StopReason.Lost);

    /// <summary>
    /// The wait for fal ended without its verdict (a cancel request, the deadline, a request fal lost): the job's requests
    /// are cancelled at fal; a video fal finished meanwhile is kept (it is paid for), else the job ends saying whether
    /// the cancel reached fal.
    /// </summary>
    private async Task<VideoJobResult> StopAtFalAsync(StopReason why)
    {
        if (why == StopReason.Lost)
        {
            return await FailAsync(new JobError("fal_request_lost",
                $"fal does not know request {_state.LastRequestId} (404 on {MaxLostPolls} status calls in a row); "
                + "there is nothing to wait for"));
        }

        Progress(JobStages.Cancelling);
        var following = _state.Following;
        var cancelled = await CancelAtFalAsync(exceptId: null);
        if (following is not null
            && (await _steps.AskAsync<FalPoll>(JobSteps.Poll, following, following.RequestId)).ValueOrDefault
                is { Completion: { Succeeded: true } finished })
        {
            return await CompleteAsync(finished);
        }

        var atFal = cancelled
            ? "the request was cancelled at fal"
            : "cancelling the request at fal failed, so fal may still finish (and bill) it";
        return why == StopReason.Cancelled
            ? await CancelledAsync()
            : await FailAsync(new JobError("deadline_exceeded", $"fal did not finish within {_job.Timings.Deadline}; {atFal}"));
    }

    /// <summary>
    /// Cancels the job's requests at fal that have not ended, but <paramref name="exceptId"/>; true when every cancel
    /// reached fal.
    /// </summary>
    private async Task<bool> CancelAtFalAsync(string? exceptId)
    {
        var reached = true;
        foreach (var request in _state.Requests.Where(r => r.RequestId != exceptId && !_state.Failed.Contains(r.RequestId)))
        {
            reached &= (await _steps.AskAsync<bool>(JobSteps.Cancel, request, request.RequestId)).ValueOrDefault;
        }

        return reached;
    }
}
