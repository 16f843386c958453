namespace Pipeline.Core.Fal;

/// <summary>A fal File object. The URL is on fal's CDN and expires: copy the file promptly.</summary>
public sealed record FalFile(Uri Url, string? ContentType, string? FileName, long? FileSize);
