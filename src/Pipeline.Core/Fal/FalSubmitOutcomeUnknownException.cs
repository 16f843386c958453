namespace Pipeline.Core.Fal;

/// <summary>
/// A submit that may have been queued (and billed) at fal, though no answer came: the request was sent and the
/// connection dropped or timed out. Sending it again could bill twice, so the client does not; the job waits for
/// fal's webhook, which names the job, before it decides that nothing was queued.
/// </summary>
public sealed class FalSubmitOutcomeUnknownException : FalApiException
{
    public FalSubmitOutcomeUnknownException()
        : this("the submit's outcome is unknown", null)
    {
    }

    public FalSubmitOutcomeUnknownException(string message)
        : this(message, null)
    {
    }

    public FalSubmitOutcomeUnknownException(string message, Exception? innerException)
        : base(message, status: null, errorCode: "outcome_unknown", requestId: null, isRetryable: false, innerException: innerException)
    {
    }
}
