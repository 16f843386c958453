namespace Pipeline.Bench.Accounting;

/// <summary>One storage transaction: who made it (pipeline or engine), the service, and what kind of operation it was.</summary>
public readonly record struct StorageCall(string Source, string Service, string Operation);
