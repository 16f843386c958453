using System.Text.Json.Nodes;

namespace Infra.Tests;

/// <summary>
/// What a first deployment needs, pinned in the compiled templates, azure.yaml and the hooks: azd's location prompt,
/// roles for whoever deploys (azd or az alone), undeliverable inbox events kept rather than dropped, the hook on both
/// shells with the CLI it needs, and the Key Vault references refreshed after deploy.
/// </summary>
public sealed class DeployPathTests
{
    private static JsonObject Compile(params string[] path)
    {
        var (exitCode, output, errors) = Bicep.Run("build", Path.Combine([Bicep.InfraFolder, .. path]), "--stdout");
        Assert.True(exitCode == 0, errors);
        return JsonNode.Parse(output)!.AsObject();
    }

    private static IEnumerable<JsonObject> Resources(JsonObject template) => template["resources"] switch
    {
        JsonArray list => list.Select(r => r!.AsObject()),
        JsonObject named => named.Select(r => r.Value!.AsObject()),
        _ => [],
    };

    private static string Text(params string[] path) => File.ReadAllText(Path.Combine([Bicep.RepositoryRoot, .. path]));

    [Fact]
    public void Location_CarriesAzdsLocationMetadata()
    {
        var location = Compile("main.bicep")["parameters"]!["location"]!;

        Assert.Equal("location", location["metadata"]!["azd"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void DeployingPrincipal_DefaultsToWhoeverDeploys_AndAzdPassesItsOwn()
    {
        var parameters = Compile("main.bicep")["parameters"]!;
        var file = JsonNode.Parse(Text("infra", "main.parameters.json"))!["parameters"]!;

        Assert.Equal("[deployer().objectId]", parameters["principalId"]!["defaultValue"]!.GetValue<string>());
        Assert.Equal("${AZURE_PRINCIPAL_ID}", file["principalId"]!["value"]!.GetValue<string>());
        Assert.Equal("${AZURE_PRINCIPAL_TYPE=User}", file["principalType"]!["value"]!.GetValue<string>());
        Assert.Equal("${FAL_KEY=}", file["falKey"]!["value"]!.GetValue<string>()); // azd env set FAL_KEY before azd up
    }

    [Theory]
    [InlineData("storageBlobDataContributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe", "Microsoft.Storage/storageAccounts'")] // drop, read
    [InlineData("keyVaultSecretsOfficer", "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "Microsoft.KeyVault/vaults'")] // set FAL-KEY
    public void DeployingPrincipal_GetsTheDataRolesTheReadmeStepsUse(string role, string roleId, string scope)
    {
        var template = Compile("app", "rbac.bicep");
        var assignment = Assert.Single(Resources(template), r => r["type"]!.GetValue<string>() == "Microsoft.Authorization/roleAssignments"
            && r["properties"]!["principalId"]!.GetValue<string>() == "[parameters('userPrincipalId')]"
            && r["properties"]!["roleDefinitionId"]!.GetValue<string>().Contains($"variables('roles').{role})", StringComparison.Ordinal));

        Assert.Equal(roleId, template["variables"]!["roles"]![role]!.GetValue<string>());
        Assert.Equal("[parameters('userPrincipalType')]", assignment["properties"]!["principalType"]!.GetValue<string>());
        Assert.StartsWith($"[resourceId('{scope}", assignment["scope"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void InboxSubscription_DeadLettersToTheStorageAccount_WithTheTopicsIdentity_AndRetriesForADay()
    {
        var subscription = Resources(Compile("inbox-subscription.bicep"))
            .Single(r => r["type"]!.GetValue<string>() == "Microsoft.EventGrid/systemTopics/eventSubscriptions")["properties"]!;
        var deadLetter = subscription["deadLetterWithResourceIdentity"]!;

        Assert.Equal("SystemAssigned", deadLetter["identity"]!["type"]!.GetValue<string>());
        Assert.Equal("StorageBlob", deadLetter["deadLetterDestination"]!["endpointType"]!.GetValue<string>());
        Assert.Equal("[parameters('deadLetterContainer')]", deadLetter["deadLetterDestination"]!["properties"]!["blobContainerName"]!.GetValue<string>());
        Assert.Contains(".source", deadLetter["deadLetterDestination"]!["properties"]!["resourceId"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(30, subscription["retryPolicy"]!["maxDeliveryAttempts"]!.GetValue<int>());
        Assert.Equal(1440, subscription["retryPolicy"]!["eventTimeToLiveInMinutes"]!.GetValue<int>());
    }

    [Fact]
    public void InboxTopic_HasAnIdentity_AllowedToWriteTheDeadLetterContainerOnly()
    {
        var topic = Resources(Compile("app", "eventgrid.bicep")).Single(r => r["type"]!.GetValue<string>() == "Microsoft.EventGrid/systemTopics");
        var assignment = Assert.Single(Resources(Compile("app", "rbac.bicep")), r => r["type"]!.GetValue<string>() == "Microsoft.Authorization/roleAssignments"
            && r["properties"]!["principalId"]!.GetValue<string>() == "[parameters('inboxTopicPrincipalId')]");

        Assert.Equal("SystemAssigned", topic["identity"]!["type"]!.GetValue<string>());
        Assert.Contains("variables('roles').storageBlobDataContributor)", assignment["properties"]!["roleDefinitionId"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("[resourceId('Microsoft.Storage/storageAccounts/blobServices/containers'", assignment["scope"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("parameters('deadLetterContainerName')", assignment["scope"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("posix", "sh", "./hooks/postdeploy.sh")]
    [InlineData("windows", "pwsh", "./hooks/postdeploy.ps1")]
    public void PostDeployHook_RunsOnBothShells(string platform, string shell, string script)
    {
        var yaml = Text("azure.yaml");
        var block = yaml[yaml.IndexOf($"    {platform}:", StringComparison.Ordinal)..];

        Assert.Contains($"shell: {shell}", block[..block.IndexOf("continueOnError", StringComparison.Ordinal)], StringComparison.Ordinal);
        Assert.Contains($"run: {script}", block[..block.IndexOf("continueOnError", StringComparison.Ordinal)], StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Bicep.RepositoryRoot, script)), script);
    }

    [Theory]
    [InlineData("postdeploy.sh")]
    [InlineData("postdeploy.ps1")]
    public void PostDeployHook_ChecksForTheCli_UsesAzdsSubscription_AndRefreshesKeyVaultReferences(string hook)
    {
        var text = Text("hooks", hook);

        Assert.Contains("AZURE_SUBSCRIPTION_ID", text, StringComparison.Ordinal);
        Assert.Contains("--subscription", text, StringComparison.Ordinal);
        Assert.Contains("https://aka.ms/install-azure-cli", text, StringComparison.Ordinal);
        Assert.Contains("/config/configreferences/appsettings/refresh?api-version=", text, StringComparison.Ordinal);
        Assert.Contains("inbox-subscription.bicep", text, StringComparison.Ordinal);
    }
}
