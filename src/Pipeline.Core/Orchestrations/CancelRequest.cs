namespace Pipeline.Core.Orchestrations;

/// <summary>The payload of a cancel request sent to a running job.</summary>
public sealed record CancelRequest(string Reason);
