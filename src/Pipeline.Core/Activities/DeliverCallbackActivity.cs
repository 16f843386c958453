using Pipeline.Core.Callbacks;
using Pipeline.Core.Events;

namespace Pipeline.Core.Activities;

/// <summary>The input of one delivery attempt: the job, its receiver and the event.</summary>
public sealed record CallbackDeliveryInput(string JobId, JobCallback Callback, JobEvent Event) : Telemetry.IDescribesJob
{
    (Requests.VideoMode? Mode, string? EndUserId, string? FalRequestId) Telemetry.IDescribesJob.Describe() =>
        (Event.Data.Mode, Event.Data.EndUserId, Event.Data.FalRequestId);
}

/// <summary>One attempt to deliver a job's event to its receiver; the callback orchestration retries, durably.</summary>
public sealed class DeliverCallbackActivity(CallbackSender sender) : IPipelineActivity<CallbackDeliveryInput, CallbackAttempt>
{
    public const string Name = "DeliverCallback";

    public Task<CallbackAttempt> RunAsync(CallbackDeliveryInput input, CancellationToken cancellationToken) =>
        sender.SendAsync(input.Callback, input.Event, cancellationToken);
}
