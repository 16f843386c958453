using Pipeline.Core.Jobs;
using Pipeline.Core.Storage;
using Pipeline.Core.Requests;
using Pipeline.Core.Telemetry;

namespace Pipeline.Core.Jobs;

public sealed record ErrorMarkerInput(
    string JobId, JobSource Source, string OutputBlob, JobOutcome Outcome, JobError Error, string? FalRequestId) : IDescribesJob
{
    (VideoMode? Mode, string? EndUserId, string? FalRequestId) IDescribesJob.Describe() => (null, null, FalRequestId);
}
