using System.Text.Json.Nodes;

namespace Infra.Tests;

/// <summary>
/// What a first deployment needs, pinned in the compiled templates, azure.yaml, the hooks and .gitattributes: azd's
/// location prompt offering only regions with Flex Consumption, roles for whoever deploys (azd or az alone),
/// undeliverable inbox events kept rather than dropped (the topic's identity allowed to write them where Event Grid's
/// docs ask), the hook on both shells with the CLI it needs and its sign-in checked first, the Key Vault references
/// refreshed after deploy, and shell scripts checked out with LF.
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

    [Theory]
    [InlineData("swedencentral")]
    [InlineData("eastus")]
    [InlineData("westeurope")]
    [InlineData("eastus2")]
    public void Location_AllowsRegionsWithFlexConsumption(string region)
    {
        var allowed = Compile("main.bicep")["parameters"]!["location"]!["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>());

        Assert.Contains(region, allowed);
    }

    [Theory]
    [InlineData("chinanorth3")] // Azure China offers no Flex Consumption (microsoft/vscode-azurefunctions#4698)
    [InlineData("westindia")] // in none of the azd Flex Consumption templates' lists
    [InlineData("germanynorth")] // a restricted-access region, in none of them either
    [InlineData("Sweden Central")] // ARM's names only: azd and az pass `swedencentral`
    public void Location_RefusesRegionsWithoutFlexConsumption(string region)
    {
        var allowed = Compile("main.bicep")["parameters"]!["location"]!["allowedValues"]!
            .AsArray()
            .Select(v => v!.GetValue<string>())
            .ToList();

        Assert.DoesNotContain(region, allowed);
        Assert.All(allowed, r => Assert.Matches("^[a-z0-9]+$", r));
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
        Assert.Equal(
            "[parameters('deadLetterContainer')]",
            deadLetter["deadLetterDestination"]!["properties"]!["blobContainerName"]!.GetValue<string>());
        Assert.Contains(
            ".source",
            deadLetter["deadLetterDestination"]!["properties"]!["resourceId"]!.GetValue<string>(),
            StringComparison.Ordinal);
        Assert.Equal(30, subscription["retryPolicy"]!["maxDeliveryAttempts"]!.GetValue<int>());
        Assert.Equal(1440, subscription["retryPolicy"]!["eventTimeToLiveInMinutes"]!.GetValue<int>());
    }

    [Fact]
    public void InboxTopic_HasAnIdentity_WithStorageBlobDataContributorOnTheStorageAccount_AsEventGridAsks()
    {
        // Event Grid's docs: the identity that dead-letters "must also be a member of the Storage Blob Data Contributor
        // role on the storage account that's used for dead-lettering". The data role only, and on this account only.
        var topic = Resources(Compile("app", "eventgrid.bicep"))
            .Single(r => r["type"]!.GetValue<string>() == "Microsoft.EventGrid/systemTopics");
        var rbac = Compile("app", "rbac.bicep");
        var assignment = Assert.Single(Resources(rbac), r => r["type"]!.GetValue<string>() == "Microsoft.Authorization/roleAssignments"
            && r["properties"]!["principalId"]!.GetValue<string>() == "[parameters('inboxTopicPrincipalId')]");

        Assert.Equal("SystemAssigned", topic["identity"]!["type"]!.GetValue<string>());
        Assert.Contains(
            "variables('roles').storageBlobDataContributor)",
            assignment["properties"]!["roleDefinitionId"]!.GetValue<string>(),
            StringComparison.Ordinal);
        Assert.Equal(
            "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
            rbac["variables"]!["roles"]!["storageBlobDataContributor"]!.GetValue<string>());
        Assert.Equal(
            "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]",
            assignment["scope"]!.GetValue<string>());
    }

    [Fact]
    public void InboxTopicRole_IsMadeWhileProvisioning_BeforeTheHookCreatesTheSubscription()
    {
        // The role is in the main deployment (azd provision, or az deployment sub create), given the topic's principal;
        // the subscription that dead-letters with it is deployed by the post-deploy hook afterwards, never by main.bicep.
        var main = File.ReadAllText(Path.Combine(Bicep.InfraFolder, "main.bicep"));

        Assert.Contains("inboxTopicPrincipalId: eventGrid.outputs.systemTopicPrincipalId", main, StringComparison.Ordinal);
        Assert.DoesNotContain(
            main.Split('\n').Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)),
            l => l.Contains("inbox-subscription", StringComparison.Ordinal));
        Assert.DoesNotContain(
            Resources(Compile("main.bicep")),
            r => r["type"]!.GetValue<string>().StartsWith("Microsoft.EventGrid/systemTopics/eventSubscriptions", StringComparison.Ordinal));
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

    [Theory]
    [InlineData("postdeploy.sh", "account show", "functionapp keys list")]
    [InlineData("postdeploy.ps1", "'account', 'show'", "'functionapp', 'keys', 'list'")]
    public void PostDeployHook_ChecksTheSignInBeforeAnythingElse_AndSaysHowToSignIn(string hook, string signInCheck, string firstWork)
    {
        var text = Text("hooks", hook);

        Assert.InRange(text.IndexOf(signInCheck, StringComparison.Ordinal), 0, text.IndexOf(firstWork, StringComparison.Ordinal));
        Assert.Contains("sign in with az login", text, StringComparison.Ordinal);
        Assert.Contains("az said:", text, StringComparison.Ordinal); // az's own error text is passed on
    }

    [Fact]
    public void GitAttributes_CheckOutShellScriptsWithLf()
    {
        // A CR at a line's end breaks sh: `set -eu\r` is an error, so a Windows checkout with autocrlf would break the hook.
        var lines = Text(".gitattributes").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

        string[] Attributes(string pattern) => lines.Select(l => l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields[0] == pattern).SelectMany(fields => fields.Skip(1)).ToArray();

        Assert.Contains("eol=lf", Attributes("*.sh"));
        Assert.Contains("text", Attributes("*.sh"));
        Assert.Contains("eol=lf", Attributes(".ci/run")); // CI's script has no .sh
        Assert.Contains("binary", Attributes("*.jpg")); // the fixtures stay byte for byte
    }
}
