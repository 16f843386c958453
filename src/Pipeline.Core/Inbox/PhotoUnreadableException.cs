namespace Pipeline.Core.Inbox;

/// <summary>
/// A dropped photo that cannot become a video's frame: not a JPEG, PNG, WebP or HEIC photo, damaged, or too big.
/// The message names the file and says what the user can do; it is fit to show them.
/// </summary>
public sealed class PhotoUnreadableException : Exception
{
    public PhotoUnreadableException()
    {
    }

    public PhotoUnreadableException(string message)
        : base(message)
    {
    }

    public PhotoUnreadableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
