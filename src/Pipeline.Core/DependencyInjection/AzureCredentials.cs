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
}
