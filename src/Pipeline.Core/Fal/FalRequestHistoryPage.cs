namespace Pipeline.Core.Fal;

/// <summary>One page of fal's request history.</summary>
/// <param name="NextCursor">For <see cref="FalRequestHistoryQuery.Cursor"/> to read the next page; null on the last.</param>
public sealed record FalRequestHistoryPage(IReadOnlyList<FalRequestHistoryItem> Items, string? NextCursor, bool HasMore);
