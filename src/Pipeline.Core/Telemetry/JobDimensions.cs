using System.Collections;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Telemetry;

/// <summary>
/// The dimensions of one job's logs: a logging scope whose entries fill in as the job's step learns them (an inbox
/// job's mode and end user come from its drop; the fal request id from the submit). Entries are only ever added.
/// </summary>
public sealed class JobDimensions : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly List<KeyValuePair<string, object?>> _entries;

    public JobDimensions(string jobId) => _entries = [new(PipelineTelemetry.JobId, jobId)];

    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    public KeyValuePair<string, object?> this[int index]
    {
        get
        {
            lock (_entries)
            {
                return _entries[index];
            }
        }
    }

    /// <summary>Adds what is known and not yet there; returns the entries added, for the span's tags.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Learn(VideoMode? mode, string? endUserId, string? falRequestId)
    {
        var added = new List<KeyValuePair<string, object?>>();
        lock (_entries)
        {
            Add(PipelineTelemetry.JobMode, mode?.Slug());
            Add(PipelineTelemetry.EndUserId, endUserId);
            Add(PipelineTelemetry.FalRequestId, falRequestId);
        }

        return added;

        void Add(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value) && !_entries.Exists(e => e.Key == key))
            {
                _entries.Add(new(key, value));
                added.Add(new(key, value));
            }
        }
    }

    /// <summary>Adds what is known, for a scope begun with it.</summary>
    public JobDimensions Also(VideoMode? mode, string? endUserId = null, string? falRequestId = null)
    {
        Learn(mode, endUserId, falRequestId);
        return this;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        lock (_entries)
        {
            return _entries.ToList().GetEnumerator();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Join(", ", this.Select(e => $"{e.Key}={e.Value}"));
}
