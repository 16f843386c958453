using System.Net;
using System.Text.Json.Nodes;
using Pipeline.Core.Fal;

namespace Pipeline.UnitTests.Fal;

/// <summary>
/// An app setting App Service could not resolve keeps its Key Vault reference text: that is no key, and it must
/// neither be sent to fal nor reported as a key by the health endpoint.
/// </summary>
public sealed class FalKeyTests
{
    private const string Reference = "@Microsoft.KeyVault(VaultName=kv-abc;SecretName=FAL-KEY)";

    [Theory]
    [InlineData(null, FalKeyState.Missing)]
    [InlineData("", FalKeyState.Missing)]
    [InlineData("  ", FalKeyState.Missing)]
    [InlineData(Reference, FalKeyState.UnresolvedKeyVaultReference)]
    [InlineData(" @microsoft.keyvault(SecretUri=https://kv-abc.vault.azure.net/secrets/FAL-KEY/)", FalKeyState.UnresolvedKeyVaultReference)]
    [InlineData("key-id:key-secret", FalKeyState.Set)]
    public void StateOf_TellsAKeyFromAMissingOrUnresolvedOne(string? value, FalKeyState expected) =>
        Assert.Equal(expected, FalKey.StateOf(value));

    [Fact]
    public async Task AnUnresolvedReference_IsRefusedBeforeAnythingIsSent()
    {
        var harness = new FalClientHarness();
        harness.Options.Key = Reference;
        harness.Handler.Respond(HttpStatusCode.OK, FalClientHarness.SubmitAnswer);
        var client = harness.CreateClient();

        var error = Assert.Throws<InvalidOperationException>(client.EnsureConfigured);
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            client.SubmitAsync(
                FalClientHarness.Endpoint, new JsonObject { ["prompt"] = "x" }, null, TestContext.Current.CancellationToken));

        Assert.Contains("Key Vault reference", error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Handler.Requests);
    }
}
