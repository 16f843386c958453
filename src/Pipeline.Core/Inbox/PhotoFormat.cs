namespace Pipeline.Core.Inbox;

/// <summary>What a dropped photo is, by its content.</summary>
public enum PhotoFormat
{
    Jpeg,
    Png,
    WebP,

    /// <summary>HEIC or another HEIF image (iPhones' default): fal does not take it, so it is always converted.</summary>
    Heif,
}
