namespace Pipeline.Core.Storage;

/// <summary>An uploaded file went past its size cap while being stored.</summary>
public sealed class UploadTooLargeException(long maxBytes) : IOException($"larger than {maxBytes / (1024 * 1024)} MB")
{
    public long MaxBytes { get; } = maxBytes;
}
