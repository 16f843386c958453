using System.Text.Json.Serialization;

namespace Pipeline.Core.Health;

/// <summary>
/// What <c>GET /api/health</c> answers: whether the app can take and run jobs now, and how it is configured — names
/// and hosts only, never a key, a connection string or a SAS.
/// </summary>
/// <param name="Status">
/// <c>healthy</c>, or <c>unhealthy</c> when storage or the task hub cannot be reached or fal has no usable key.
/// </param>
public sealed record HealthReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("storage")] StorageHealth Storage,
    [property: JsonPropertyName("task_hub")] TaskHubHealth TaskHub,
    [property: JsonPropertyName("events")] EventsHealth Events,
    [property: JsonPropertyName("fal")] FalHealth Fal)
{
    public const string Healthy = "healthy";

    public const string Unhealthy = "unhealthy";

    [JsonIgnore]
    public bool IsHealthy => Status == Healthy;
}

/// <param name="Account">The storage account's name (Azurite's is <c>devstoreaccount1</c>).</param>
/// <param name="MissingContainers">Containers the app uses that do not exist.</param>
/// <param name="Error">Why a check failed: the exception's kind and storage's error code, never its message.</param>
public sealed record StorageHealth(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("missing_containers")] IReadOnlyList<string> MissingContainers,
    [property: JsonPropertyName("latency_ms")] long LatencyMs,
    [property: JsonPropertyName("error")] string? Error);

/// <param name="Name">The Durable task hub (<c>TASKHUB_NAME</c>).</param>
public sealed record TaskHubHealth(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("latency_ms")] long LatencyMs,
    [property: JsonPropertyName("error")] string? Error);

/// <param name="Status"><c>configured</c>, or <c>not_configured</c> (events are only logged).</param>
/// <param name="Authentication"><c>key</c> or <c>managed_identity</c>.</param>
public sealed record EventsHealth(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("topic_host")] string? TopicHost,
    [property: JsonPropertyName("authentication")] string? Authentication,
    [property: JsonPropertyName("source")] string Source);

/// <param name="Key"><c>set</c>, <c>missing</c>, or <c>unresolved_key_vault_reference</c> (App Service could not read the secret).</param>
/// <param name="Webhooks">Whether fal is given a webhook (a public base URL is set); otherwise jobs complete by polling.</param>
/// <param name="PurgesPayloads">Whether an admin key lets the app delete payloads at fal after the copy.</param>
public sealed record FalHealth(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("base_url")] string BaseUrl,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("webhooks")] bool Webhooks,
    [property: JsonPropertyName("signatures_verified")] bool SignaturesVerified,
    [property: JsonPropertyName("purges_payloads")] bool PurgesPayloads);
