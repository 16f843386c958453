using System.Text.Json.Serialization;

namespace Pipeline.Core.Callbacks;

/// <summary>One attempt to deliver an event: taken (a 2xx), or not, with the receiver's status or why it could not be reached.</summary>
public sealed record CallbackAttempt(
    [property: JsonPropertyName("delivered")] bool Delivered,
    [property: JsonPropertyName("status")] int? Status,
    [property: JsonPropertyName("error")] string? Error);
