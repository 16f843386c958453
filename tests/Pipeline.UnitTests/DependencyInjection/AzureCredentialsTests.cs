using Azure.Identity;
using Pipeline.Core.DependencyInjection;

namespace Pipeline.UnitTests.DependencyInjection;

public sealed class AzureCredentialsTests
{
    [Theory]
    [InlineData("managedidentity", "00000000-0000-0000-0000-000000000001")]
    [InlineData(null, "00000000-0000-0000-0000-000000000001")]
    [InlineData("managedidentity", null)]
    [InlineData("ManagedIdentity", "")]
    public void InAzure_TheSettingsNameAManagedIdentity_AndOnlyItIsUsed(string? credential, string? clientId) =>
        Assert.IsType<ManagedIdentityCredential>(AzureCredentials.For(credential, clientId));

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "")]
    public void OnADevelopersMachine_WithoutThoseSettings_TheirSignInIsFound(string? credential, string? clientId) =>
        Assert.IsType<DefaultAzureCredential>(AzureCredentials.For(credential, clientId));
}
