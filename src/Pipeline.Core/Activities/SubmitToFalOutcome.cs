using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Pipeline.Core.Costs;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Telemetry;
using Pipeline.Core.Fal;

namespace Pipeline.Core.Activities;

/// <summary>
/// How <see cref="SubmitToFalActivity"/> ended: one record per outcome. Every outcome also carries what the activity
/// learned of the job (an inbox job's mode, end user and correlation come from its drop) and its estimate.
/// </summary>
[JsonConverter(typeof(SubmitToFalOutcomeConverter))]
public abstract record SubmitToFalOutcome : IDescribesJob
{
    private SubmitToFalOutcome()
    {
    }

    (VideoMode? Mode, string? EndUserId, string? FalRequestId) IDescribesJob.Describe() =>
        (Mode, EndUserId, (this as Submitted)?.Request.RequestId);

    /// <summary>
    /// The outcome's kind, written with it: durable history serializes the value under its runtime type, so the kind
    /// travels as a property of every outcome rather than as the base type's discriminator.
    /// </summary>
    [JsonPropertyName("outcome")]
    public abstract string Kind { get; }

    /// <summary>The mode the job turned out to have (an inbox sidecar may choose it); null when unchanged.</summary>
    public VideoMode? Mode { get; init; }

    /// <summary>The job's estimate, once its request is known.</summary>
    public JobCost? Cost { get; init; }

    public string? EndUserId { get; init; }

    public IReadOnlyDictionary<string, string>? Correlation { get; init; }

    /// <summary>The prompt the job asks fal for, once its request is known (an inbox drop's comes from its sidecar or metadata).</summary>
    public string? Prompt { get; init; }

    /// <summary>
    /// An inbox drop's video name, claimed once the drop is known to be a job of its own (version 3;
    /// <c>Inbox.OutputNames</c>).
    /// </summary>
    public string? OutputBlob { get; init; }

    /// <summary>fal accepted the job (now, or in a run of this activity before this one).</summary>
    /// <param name="Announced">The "submitted" event was published.</param>
    /// <param name="HoldsSlot">The job holds a concurrency slot it must give back.</param>
    public sealed record Submitted(FalRequestRef Request, int? QueuePosition, DateTimeOffset SubmittedAt, bool Announced, bool HoldsSlot)
        : SubmitToFalOutcome
    {
        public override string Kind => "submitted";

        /// <summary>The "submitted" event could not be delivered yet: it waits in the outbox (it counts as announced).</summary>
        public bool EventKept { get; init; }
    }

    /// <summary>The submit was sent, or may have been, and fal's answer is unknown: fal may have queued (and will bill) it.</summary>
    public sealed record OutcomeUnknown(bool HoldsSlot) : SubmitToFalOutcome
    {
        public override string Kind => "unknown";
    }

    /// <summary>Nothing is at fal: the drop is not a valid request, a spending cap refused the job, or fal refused it.</summary>
    public sealed record NotSubmitted(JobError Error) : SubmitToFalOutcome
    {
        public override string Kind => "not_submitted";
    }

    /// <summary>
    /// fal could not be reached, or answered that it did not take the request (429, 5xx): certainly nothing is at fal.
    /// Only for version 3 jobs, which wait for fal and submit again (earlier versions get <see cref="NotSubmitted"/>).
    /// </summary>
    public sealed record FalUnavailable(JobError Error) : SubmitToFalOutcome
    {
        public override string Kind => "fal_unavailable";
    }

    /// <summary>The concurrency cap is reached: nothing was sent; the job waits for a slot.</summary>
    public sealed record WaitingForSlot : SubmitToFalOutcome
    {
        public override string Kind => "waiting_for_slot";
    }

    /// <summary>
    /// An inbox drop waits for its companion (an image for a sidecar that may follow it, a lone .json for an image of
    /// its name).
    /// </summary>
    public sealed record WaitingForCompanion(TimeSpan Wait) : SubmitToFalOutcome
    {
        public override string Kind => "waiting_for_companion";
    }

    /// <summary>
    /// Nothing was sent, and nothing will be: the .json is the sidecar of an image dropped beside it (the image's job
    /// uses it), or the image is a manifest's (<see cref="Reason"/> says which; version 3).
    /// </summary>
    public sealed record Superseded : SubmitToFalOutcome
    {
        public override string Kind => "superseded";

        /// <summary>Why, when it is not the sidecar case.</summary>
        public string? Reason { get; init; }
    }
}

/// <summary>
/// Reads an outcome by its kind (<c>outcome</c>), and the flag-shaped outcome of version 1 of the
/// activity (<c>Request</c>, <c>OutcomeUnknown</c>, <c>WaitingForSlot</c>, <c>Superseded</c>…), which the histories of
/// jobs started before version 2 hold.
/// </summary>
internal sealed class SubmitToFalOutcomeConverter : JsonConverter<SubmitToFalOutcome>
{
    private const string Kind = "outcome";

    private static readonly Dictionary<string, Type> Kinds = typeof(SubmitToFalOutcome).GetNestedTypes()
        .Where(t => t.IsSubclassOf(typeof(SubmitToFalOutcome)))
        .ToDictionary(
            t => ((SubmitToFalOutcome)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(t)).Kind,
            StringComparer.Ordinal);

    public override SubmitToFalOutcome? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var node = JsonNode.Parse(ref reader) as JsonObject ?? throw new JsonException("a submit outcome is a JSON object");
        if (node[Kind]?.GetValue<string>() is { } kind)
        {
            return (SubmitToFalOutcome?)node.Deserialize(
                Kinds.TryGetValue(kind, out var type) ? type : throw new JsonException($"unknown submit outcome '{kind}'"),
                options);
        }

        var v1 = node.Deserialize<Version1Outcome>(options) ?? throw new JsonException("an empty submit outcome");
        SubmitToFalOutcome outcome = v1 switch
        {
            { Superseded: true } => new SubmitToFalOutcome.Superseded(),
            { WaitingForSlot: true } => new SubmitToFalOutcome.WaitingForSlot(),
            { OutcomeUnknown: true } => new SubmitToFalOutcome.OutcomeUnknown(v1.HoldsSlot),
            { Request: { } request } =>
                new SubmitToFalOutcome.Submitted(request, v1.QueuePosition, v1.SubmittedAt ?? default, v1.Announced, v1.HoldsSlot),
            _ => new SubmitToFalOutcome.NotSubmitted(v1.Error ?? new JobError("fal_rejected", "fal did not accept the request")),
        };
        return outcome with { Mode = v1.Mode, Cost = v1.Cost, EndUserId = v1.EndUserId, Correlation = v1.Correlation };
    }

    public override void Write(Utf8JsonWriter writer, SubmitToFalOutcome value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, value.GetType(), options); // the kind is one of its properties

    /// <summary>The outcome as version 1 wrote it: a bag of flags (read only; any of them may be missing).</summary>
    private sealed record Version1Outcome
    {
        public FalRequestRef? Request { get; init; }

        public int? QueuePosition { get; init; }

        public JobError? Error { get; init; }

        public VideoMode? Mode { get; init; }

        public bool Superseded { get; init; }

        public DateTimeOffset? SubmittedAt { get; init; }

        public bool Announced { get; init; }

        public bool OutcomeUnknown { get; init; }

        public bool WaitingForSlot { get; init; }

        public JobCost? Cost { get; init; }

        public string? EndUserId { get; init; }

        public IReadOnlyDictionary<string, string>? Correlation { get; init; }

        public bool HoldsSlot { get; init; }
    }
}
