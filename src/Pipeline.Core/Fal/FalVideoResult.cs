namespace Pipeline.Core.Fal;

/// <summary>Seedance 2.0's output <c>{ video: File, seed }</c>.</summary>
public sealed record FalVideoResult(string RequestId, FalFile Video, long? Seed);
