using System.Text.Json.Serialization;
using Pipeline.Core.Activities;
using Pipeline.Core.Costs;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Fal;

namespace Pipeline.Core.Submits;

/// <summary>Where one submit of a job stands with fal.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SubmitState>))]
public enum SubmitState
{
    /// <summary>Claimed and about to be (or being) sent: fal may have it, so it is never sent again blindly.</summary>
    [JsonStringEnumMemberName("sending")]
    Sending,

    /// <summary>fal accepted it: it has a request id and is billed.</summary>
    [JsonStringEnumMemberName("accepted")]
    Accepted,

    /// <summary>fal answered that it did not take it (an error status, every attempt): nothing is billed.</summary>
    [JsonStringEnumMemberName("refused")]
    Refused,
}

/// <summary>
/// One submit of a job to fal (<c>jobs/submits/{job id}/{attempt}.json</c>): written before the POST and completed with
/// fal's answer, so an activity that runs again (a crash, a redelivered work item) knows what the first run did. It
/// also keeps what the job turned out to be (mode, estimate, end user, correlation), which a rerun reports unchanged.
/// The claim and fal's answer are positional; the rest are properties, in this order in the blob.
/// </summary>
public sealed record SubmitRecord(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("attempt")] int Attempt,
    [property: JsonPropertyName("state")] SubmitState State,
    [property: JsonPropertyName("claimed_at")] DateTimeOffset ClaimedAt,
    [property: JsonPropertyName("request")] FalRequestRef? Request = null,
    [property: JsonPropertyName("queue_position")] int? QueuePosition = null,
    [property: JsonPropertyName("answered_at")] DateTimeOffset? AnsweredAt = null,
    [property: JsonPropertyName("error")] JobError? Error = null)
{
    [JsonPropertyName("mode")]
    public VideoMode? Mode { get; init; }

    [JsonPropertyName("cost")]
    public JobCost? Cost { get; init; }

    [JsonPropertyName("end_user_id")]
    public string? EndUserId { get; init; }

    [JsonPropertyName("correlation")]
    public IReadOnlyDictionary<string, string>? Correlation { get; init; }

    /// <summary>The endpoint the submit went to (version 3), to look for it in fal's request history.</summary>
    [JsonPropertyName("endpoint_id")]
    public string? EndpointId { get; init; }

    /// <summary>The <see cref="FalInputFingerprint"/> of what was sent (version 3).</summary>
    [JsonPropertyName("input_fingerprint")]
    public string? InputFingerprint { get; init; }

    /// <summary>An inbox drop's video name, as it was claimed (version 3).</summary>
    [JsonPropertyName("output_blob")]
    public string? OutputBlob { get; init; }

    /// <summary>The prompt sent (version 3), for the job's status.</summary>
    [JsonPropertyName("prompt")]
    public string? Prompt { get; init; }

    /// <summary>fal has, or may have, this submit (and bills it).</summary>
    [JsonIgnore]
    public bool MayBeAtFal => State is SubmitState.Sending or SubmitState.Accepted;
}
