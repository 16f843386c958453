using Pipeline.Core.Requests;

namespace Pipeline.Core.Telemetry;

/// <summary>An activity's input or outcome that names what it knows of its job, for the step's telemetry.</summary>
public interface IDescribesJob
{
    /// <summary>The job's mode, end user and fal request, as far as known here.</summary>
    (VideoMode? Mode, string? EndUserId, string? FalRequestId) Describe();
}
