namespace FalEmulator.Media;

/// <summary>ffmpeg failed or timed out; the message ends with the tail of its error output.</summary>
public sealed class VideoRenderException : Exception
{
    public VideoRenderException()
    {
    }

    public VideoRenderException(string message)
        : base(message)
    {
    }

    public VideoRenderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
