using Microsoft.DurableTask;
using Pipeline.Core.Activities;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Logging;

namespace Pipeline.Core.Orchestrations;

/// <summary>
/// Versions 1 and 2 of the video job, submitting: the submit activity's outcomes and the waits before fal has the job
/// (a drop's companion, a concurrency slot, the webhook of a submit whose answer was lost).
/// </summary>
internal static partial class VideoJobOrchestratorV2
{
    /// <summary>How submitting ended: fal has the job, a lost submit turned out to be queued, or the job is over.</summary>
    private abstract record Submission
    {
        public sealed record AtFal : Submission;

        public sealed record ConfirmedLate(FalCompletion Completion) : Submission;

        public sealed record Over(VideoJobResult Result) : Submission;
    }

    private sealed partial class JobRun
    {
        /// <summary>
        /// Submits the job: waits for its drop's companion or for a concurrency slot when the activity says so; after a
        /// submit whose answer was lost, waits for a webhook that names the job before it submits again (at most
        /// <see cref="MaxUnconfirmedSubmits"/> times).
        /// </summary>
        private async Task<Submission> SubmitAsync(DateTime deadline)
        {
            Progress(JobStages.Submitting);
            var companionWaited = V1; // version 1 jobs waited the sidecar grace already
            while (true)
            {
                var outcome = await SubmitOnceAsync(companionWaited);
                if (outcome is null)
                {
                    return new Submission.Over(await FailAsync(_submitFailure!));
                }

                _mode = outcome.Mode ?? _mode;
                _cost = outcome.Cost ?? _cost;
                _endUserId = outcome.EndUserId ?? _endUserId;
                _correlation = outcome.Correlation ?? _correlation;
                switch (outcome)
                {
                    case SubmitToFalOutcome.Superseded:
                        if (!V1)
                        {
                            await SettleAsync(); // a sidecar holds nothing but its place among the open jobs
                        }

                        return new Submission.Over(Result(JobOutcome.Superseded, null, null, null));

                    case SubmitToFalOutcome.NotSubmitted refused:
                        return new Submission.Over(await FailAsync(refused.Error));

                    case SubmitToFalOutcome.WaitingForCompanion companion:
                        Progress(JobStages.Preparing);
                        if (await WaitOrEndAsync(companion.Wait, deadline) is { } endedWaiting)
                        {
                            return new Submission.Over(await EndBeforeFalAsync(endedWaiting, "no request could be made of the drop"));
                        }

                        companionWaited = true;
                        Progress(JobStages.Submitting);
                        continue;

                    case SubmitToFalOutcome.WaitingForSlot:
                        Progress(JobStages.WaitingForSlot);
                        if (await WaitForSlotAsync(SlotBackoff(++_slotWaits), deadline) is { } endedForSlot)
                        {
                            return new Submission.Over(
                                await EndBeforeFalAsync(endedForSlot, "no slot at fal became free (Costs__MaxConcurrentJobs)"));
                        }

                        continue;

                    case SubmitToFalOutcome.Submitted submitted:
                        _holdsSlot = submitted.HoldsSlot;
                        _fal = submitted.Request;
                        Record(_fal.RequestId);
                        _submittedAt = submitted.SubmittedAt == default ? context.CurrentUtcDateTime : submitted.SubmittedAt;
                        Progress(JobStages.Queued, submitted.QueuePosition);
                        if (!submitted.Announced)
                        {
                            await PublishAsync(JobEventTypes.Submitted, null, null, null);
                        }
                        else
                        {
                            Callback(JobEventTypes.Submitted, null, null, null);
                        }

                        return new Submission.AtFal();

                    case SubmitToFalOutcome.OutcomeUnknown unknown:
                        // fal may have queued it, and its webhook names this job: wait for that before sending it again.
                        _holdsSlot = unknown.HoldsSlot;
                        _unconfirmedSubmits++;
                        Progress(JobStages.ConfirmingSubmit);
                        var (delivered, unconfirmedEnding) = await WaitForUnconfirmedSubmitAsync(deadline);
                        if (unconfirmedEnding == CancelEvent)
                        {
                            return new Submission.Over(await CancelledAsync());
                        }

                        if (delivered is not null)
                        {
                            _submittedAt ??= context.CurrentUtcDateTime;
                            return new Submission.ConfirmedLate(delivered);
                        }

                        Progress(JobStages.Submitting);
                        if (unconfirmedEnding is not null || _unconfirmedSubmits >= MaxUnconfirmedSubmits)
                        {
                            var waited = job.Timings.UnconfirmedSubmitWait ?? DefaultUnconfirmedSubmitWait;
                            return new Submission.Over(await FailAsync(new JobError("submit_unconfirmed",
                                $"fal did not answer {_unconfirmedSubmits} submit(s) and sent no webhook within {waited}; "
                                + "not submitted again")));
                        }

                        continue;
                }
            }
        }

        /// <summary>Why the submit activity failed when it returned null.</summary>
        private JobError? _submitFailure;

        /// <summary>
        /// One call of the submit activity; null when it failed before anything reached fal (after its retries). Any
        /// other failure may have reached fal, so it is an unknown outcome (version 1 failed the job).
        /// </summary>
        private async Task<SubmitToFalOutcome?> SubmitOnceAsync(bool companionWaited)
        {
            try
            {
                var input = new SubmitToFalInput(
                    JobId: job.Id,
                    Mode: _mode,
                    Request: job.Request,
                    Source: job.Source,
                    Announcement: Planned(JobEventTypes.Submitted, null, null, null),
                    CreatedAt: job.CreatedAt)
                {
                    Attempt = _unconfirmedSubmits + 1,
                    CompanionWaited = companionWaited,
                    Variant = job.Variant,
                };
                return await context.CallActivityAsync<SubmitToFalOutcome>(SubmitToFalActivity.Name, input, Submit);
            }
            catch (TaskFailedException e) when (V1 || e.FailureDetails.IsCausedBy<NothingSubmittedException>())
            {
                var unread = _inbox && e.FailureDetails.IsCausedBy<NothingSubmittedException>();
                _submitFailure = new JobError(unread ? "inbox_unreadable" : "submit_failed", e.FailureDetails.ErrorMessage);
                return null;
            }
            catch (TaskFailedException e)
            {
                _log.ActivityFailed(job.Id, SubmitToFalActivity.Name, e.FailureDetails.ErrorMessage);
                return new SubmitToFalOutcome.OutcomeUnknown(HoldsSlot: true);
            }
        }
    }
}
