using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Pipeline.Core.Costs;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Telemetry;

namespace Pipeline.Core.Fal;

/// <summary>Where fal keeps a request: its id and the URLs fal answered the submit with.</summary>
public sealed record FalRequestRef(string RequestId, Uri StatusUrl, Uri ResponseUrl, Uri CancelUrl) : IDescribesJob
{
    (VideoMode? Mode, string? EndUserId, string? FalRequestId) IDescribesJob.Describe() => (null, null, RequestId);
}
