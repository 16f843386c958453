namespace Pipeline.Core.Fal;

/// <summary>The request history's order (<c>sort_by</c>).</summary>
public enum FalRequestHistorySort
{
    /// <summary><c>ended_at</c>, fal's default.</summary>
    EndedAt,

    /// <summary><c>duration</c>.</summary>
    Duration,
}
