namespace Pipeline.Core.Storage;

/// <summary>What an uploaded file must be, by the seed's rules for the field it is sent in.</summary>
public enum UploadKind
{
    Image,
    Video,
    Audio,
}

/// <summary>The content rule of each kind: how it is recognised, what it is called in an error, its size cap.</summary>
public static class UploadKinds
{
    public static bool Matches(this UploadKind kind, ReadOnlySpan<byte> head) => kind switch
    {
        UploadKind.Image => InputSniffer.IsImage(head) || InputSniffer.IsHeif(head), // HEIC goes to fal as an upright JPEG copy
        UploadKind.Video => InputSniffer.IsVideo(head),
        _ => InputSniffer.IsAudio(head),
    };

    public static string Describe(this UploadKind kind) => kind switch
    {
        UploadKind.Image => "a JPEG, PNG, WebP or HEIC image",
        UploadKind.Video => "an MP4 or MOV video",
        _ => "an MP3 or WAV audio file",
    };

    /// <summary>The seed's limit for one file (videos: for all of a request's videos together).</summary>
    public static long MaxBytes(this UploadKind kind) => kind switch
    {
        UploadKind.Image => InputSniffer.MaxImageBytes,
        UploadKind.Video => InputSniffer.MaxVideoBytesInAll,
        _ => InputSniffer.MaxAudioBytes,
    };

    /// <summary>The extension and content type a file of this kind is stored with, from its first bytes.</summary>
    public static (string Extension, string ContentType) Format(ReadOnlySpan<byte> head) =>
        InputSniffer.IsHeif(head) ? (".heic", "image/heic") : head switch
        {
            [0xFF, 0xD8, ..] => (".jpg", "image/jpeg"),
            [0x89, 0x50, ..] => (".png", "image/png"),
            [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] =>
                (".webp", "image/webp"),
            [(byte)'R', (byte)'I', (byte)'F', (byte)'F', ..] => (".wav", "audio/wav"),
            [(byte)'I', (byte)'D', (byte)'3', ..] or [0xFF, ..] => (".mp3", "audio/mpeg"),
            [_, _, _, _, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'q', (byte)'t', ..] => (".mov", "video/quicktime"),
            _ => (".mp4", "video/mp4"),
        };
}
