namespace Pipeline.Core.Activities;

/// <summary>
/// <see cref="SubmitToFalActivity"/> failed before anything was sent to fal (the inbox drop or an input could not be
/// read), so running it again cannot bill twice: the only submit failure the orchestration retries.
/// </summary>
public sealed class NothingSubmittedException : Exception
{
    public NothingSubmittedException()
    {
    }

    public NothingSubmittedException(string message)
        : base(message)
    {
    }

    public NothingSubmittedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
