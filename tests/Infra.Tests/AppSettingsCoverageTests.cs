using System.Text.Json.Nodes;

namespace Infra.Tests;

/// <summary>
/// The templates set every setting the app reads (the list local.settings.sample.json documents), so a new setting
/// cannot be forgotten in the cloud. Local-only settings map to their identity-based forms in Azure.
/// </summary>
public sealed class AppSettingsCoverageTests
{
    /// <summary>Local settings and what stands for them in Azure (connection strings become identity-based settings).</summary>
    private static readonly Dictionary<string, string[]> AzureForms = new(StringComparer.Ordinal)
    {
        ["AzureWebJobsStorage"] =
        [
            "AzureWebJobsStorage__blobServiceUri",
            "AzureWebJobsStorage__queueServiceUri",
            "AzureWebJobsStorage__tableServiceUri",
            "AzureWebJobsStorage__credential",
            "AzureWebJobsStorage__clientId",
        ],
        ["PipelineStorage"] =
        [
            "PipelineStorage__blobServiceUri",
            "PipelineStorage__queueServiceUri",
            "PipelineStorage__credential",
            "PipelineStorage__clientId",
        ],
        ["FUNCTIONS_WORKER_RUNTIME"] = [], // Flex Consumption refuses it; the runtime is in functionAppConfig
        ["AzureWebJobs.InboxPollingTrigger.Disabled"] = [], // the polling trigger is in Debug builds only, never deployed
    };

    private static JsonObject CompiledAppSettings()
    {
        var (exitCode, json, errors) = Bicep.Run("build", Path.Combine(Bicep.InfraFolder, "app", "functionapp.bicep"), "--stdout");
        Assert.True(exitCode == 0, errors);
        var resources = JsonNode.Parse(json)!["resources"]!;
        var settings = (resources is JsonArray list ? list : new JsonArray([.. resources.AsObject().Select(p => p.Value!.DeepClone())]))
            .Single(r => r!["type"]!.GetValue<string>() == "Microsoft.Web/sites/config")!;
        return settings["properties"]!.AsObject();
    }

    [Fact]
    public void FunctionAppSettings_CoverEverySettingOfTheLocalSample()
    {
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(Bicep.RepositoryRoot, "local.settings.sample.json")))!["Values"]!
            .AsObject();
        var azure = CompiledAppSettings();

        var missing = sample.Select(s => s.Key)
            .SelectMany(key => AzureForms.TryGetValue(key, out var forms) ? forms : [key])
            .Where(name => !azure.ContainsKey(name))
            .ToList();

        Assert.True(
            missing.Count == 0,
            "settings the app reads but infra/app/functionapp.bicep does not set: " + string.Join(", ", missing));
    }

    [Fact]
    public void FunctionAppSettings_HoldNoSecretAndNoWorkerRuntime()
    {
        var azure = CompiledAppSettings();

        Assert.False(azure.ContainsKey("FUNCTIONS_WORKER_RUNTIME"));
        // A reference, resolved by the platform.
        Assert.StartsWith("[format('@Microsoft.KeyVault(VaultName=", azure["FAL_KEY"]!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(azure, s => s.Value!.ToString().Contains("AccountKey=", StringComparison.OrdinalIgnoreCase));
        // Every identity-based client names the user-assigned identity (the app reads it as a ManagedIdentityCredential).
        foreach (var prefix in new[] { "AzureWebJobsStorage", "PipelineStorage" })
        {
            Assert.Equal("managedidentity", azure[$"{prefix}__credential"]!.ToString());
            Assert.Equal("[parameters('identityClientId')]", azure[$"{prefix}__clientId"]!.ToString());
        }

        Assert.Equal("[parameters('identityClientId')]", azure["EventGrid__ManagedIdentityClientId"]!.ToString());
        Assert.Contains("Authorization=AAD", azure["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]!.ToString(), StringComparison.Ordinal);
        Assert.False(azure.ContainsKey("AzureWebJobs.InboxPollingTrigger.Disabled")); // no such function in Azure
        Assert.Equal("false", azure["AzureWebJobs.InboxTrigger.Disabled"]!.ToString());
    }

    [Fact]
    public void Outputs_AreUpperSnakeAndHoldNoSecret()
    {
        var (_, json, _) = Bicep.Run("build", Path.Combine(Bicep.InfraFolder, "main.bicep"), "--stdout");
        var outputs = JsonNode.Parse(json)!["outputs"]!.AsObject();

        Assert.All(outputs, o => Assert.Matches("^[A-Z][A-Z0-9_]*$", o.Key));
        Assert.DoesNotContain(
            outputs,
            o => o.Key.Contains("KEY", StringComparison.Ordinal) && !o.Key.EndsWith("_NAME", StringComparison.Ordinal));
        Assert.True(JsonNode.Parse(json)!["parameters"]!["falKey"]!["type"]!.GetValue<string>() == "securestring");
    }
}
