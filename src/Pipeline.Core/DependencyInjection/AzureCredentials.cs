using Azure.Core;
using Azure.Identity;

namespace Pipeline.Core.DependencyInjection;

/// <summary>
/// The credential for identity-based connections, chosen the way the Functions host chooses its own: a managed identity
/// when the settings say so (<c>__credential = managedidentity</c>, or a <c>__clientId</c>), and only then. In Azure
/// that is always the case, so the app never walks <see cref="DefaultAzureCredential"/>'s chain there (a stray
/// environment variable or a slow probe cannot pick another identity); on a developer's machine, without those
/// settings, the chain finds their own sign-in.
/// </summary>
public static class AzureCredentials
{
    public static TokenCredential For(string? credential, string? clientId) =>
        (string.IsNullOrEmpty(clientId), string.Equals(credential, "managedidentity", StringComparison.OrdinalIgnoreCase)) switch
        {
            (false, _) => new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId!)),
            (true, true) => new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned),
            _ => new DefaultAzureCredential(),
        };

    /// <summary>
    /// The credential Application Insights ingestion takes, from <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c>
    /// (<c>Authorization=AAD;ClientId=…</c>, the setting the Functions host reads too); null when it asks for none.
    /// </summary>
    public static TokenCredential? ForApplicationInsights(string? authenticationString)
    {
        var parts = (authenticationString ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        return parts.TryGetValue("Authorization", out var kind) && string.Equals(kind, "AAD", StringComparison.OrdinalIgnoreCase)
            ? For("managedidentity", parts.GetValueOrDefault("ClientId"))
            : null;
    }
}
