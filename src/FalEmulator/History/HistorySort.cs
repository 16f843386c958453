namespace FalEmulator.History;

/// <summary>
/// How the request history is ordered (<c>sort_by</c>): by end time, fal's default, or by duration. fal's docs do not
/// give a direction; both are descending here (newest, longest first), as a history is usually read.
/// </summary>
public enum HistorySort
{
    EndedAt,
    Duration,
}
