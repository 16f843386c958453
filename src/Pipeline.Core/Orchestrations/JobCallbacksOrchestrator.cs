using Microsoft.DurableTask;
using Pipeline.Core.Activities;
using Pipeline.Core.Callbacks;
using Pipeline.Core.Events;

namespace Pipeline.Core.Orchestrations;

/// <summary>The input of a job's callback orchestration.</summary>
public sealed record JobCallbacks(string JobId, JobCallback Callback, CallbackTimings Timings, DateTimeOffset CreatedAt);

/// <summary>
/// Delivers a job's events to the receiver its request named, at least once and in order: started with the job, it
/// takes each event the job sends it (<see cref="EventName"/>), offers it until the receiver answers 2xx — one attempt
/// per activity, durable timers between them (from <see cref="CallbackTimings.FirstRetryDelay"/>, doubling, at most
/// <see cref="CallbackTimings.MaxRetryDelay"/>) for <see cref="CallbackTimings.RetryFor"/> — and ends after the terminal
/// event. A receiver that is down for hours gets every event once it is back; the job itself never waits for it.
/// </summary>
public static class JobCallbacksOrchestrator
{
    public const string Name = "JobCallbacks";

    public const string EventName = "CallbackEvent";

    public static string InstanceIdFor(string jobId) => jobId + "-callbacks";

    public static async Task<CallbackReport> RunAsync(TaskOrchestrationContext context, JobCallbacks input)
    {
        var deliveries = new List<CallbackDelivery>();
        while (await NextEventAsync(context, (input.CreatedAt + input.Timings.WaitForEvents).UtcDateTime) is { } jobEvent)
        {
            if (input.Callback.Wants(jobEvent.Type))
            {
                await DeliverAsync(context, input, jobEvent, deliveries);
            }

            if (jobEvent.Type != JobEventTypes.Submitted)
            {
                break; // the terminal event: nothing follows it
            }
        }

        return new CallbackReport(deliveries);
    }

    /// <summary>The job's next event, or null when none comes in time (the job ended without one, or never ran).</summary>
    private static async Task<JobEvent?> NextEventAsync(TaskOrchestrationContext context, DateTime until)
    {
        if (context.CurrentUtcDateTime >= until)
        {
            return null;
        }

        using var stop = new CancellationTokenSource();
        var next = context.WaitForExternalEvent<JobEvent>(EventName, stop.Token);
        var timeout = context.CreateTimer(until, stop.Token);
        if (await Task.WhenAny(next, timeout) == next)
        {
            stop.Cancel(); // the timer only
            return await next;
        }

        return null;
    }

    private static async Task DeliverAsync(
        TaskOrchestrationContext context, JobCallbacks input, JobEvent jobEvent, List<CallbackDelivery> deliveries)
    {
        var delivery = new CallbackDelivery(jobEvent.CloudEventId, jobEvent.Type, 0, null, null, null, null);
        deliveries.Add(delivery);
        var giveUpAt = context.CurrentUtcDateTime + input.Timings.RetryFor;
        var delay = input.Timings.FirstRetryDelay;
        while (true)
        {
            var attempt = await AttemptAsync(context, new CallbackDeliveryInput(input.JobId, input.Callback, jobEvent));
            var now = context.CurrentUtcDateTime;
            delivery = delivery with
            {
                Attempts = delivery.Attempts + 1, LastStatus = attempt.Status, LastError = attempt.Error, LastAttemptAt = now,
                DeliveredAt = attempt.Delivered ? now : null, GaveUp = !attempt.Delivered && now + delay > giveUpAt,
            };
            deliveries[^1] = delivery;
            context.SetCustomStatus(new CallbackReport(deliveries));
            if (attempt.Delivered || delivery.GaveUp)
            {
                return;
            }

            await context.CreateTimer(delay, CancellationToken.None);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, input.Timings.MaxRetryDelay.Ticks));
        }
    }

    private static async Task<CallbackAttempt> AttemptAsync(TaskOrchestrationContext context, CallbackDeliveryInput input)
    {
        try
        {
            return await context.CallActivityAsync<CallbackAttempt>(DeliverCallbackActivity.Name, input);
        }
        catch (TaskFailedException e)
        {
            return new CallbackAttempt(false, null, e.FailureDetails.ErrorMessage);
        }
    }
}
