using System.Text.Json.Nodes;

namespace Infra.Tests;

/// <summary>The storage template makes every container the app uses, and expires what is only kept for a while.</summary>
public sealed class StorageTemplateTests
{
    private static readonly Lazy<JsonObject> Compiled = new(() =>
    {
        var (exitCode, output, errors) = Bicep.Run("build", Path.Combine(Bicep.InfraFolder, "app", "storage.bicep"), "--stdout");
        Assert.True(exitCode == 0, errors);
        return JsonNode.Parse(output)!.AsObject();
    });

    [Theory]
    [InlineData("inbox")] // the blob trigger's container
    [InlineData("videos")]
    [InlineData("uploads")] // files sent with API requests
    [InlineData("jobs")] // the listing's index
    [InlineData("deadletter")] // inbox events Event Grid could not deliver
    public void Containers_IncludeEveryContainerTheAppUses(string container)
    {
        // Templates with symbolic names (languageVersion 2.0) hold resources in an object, others in an array.
        IEnumerable<JsonNode> resources = Compiled.Value["resources"] switch
        {
            JsonArray list => list.Select(r => r!),
            JsonObject named => named.Select(r => r.Value!),
            _ => [],
        };
        var containers = resources
            .Single(r => r["type"]!.GetValue<string>() == "Microsoft.Storage/storageAccounts/blobServices/containers");

        Assert.Contains($"'{container}'", containers["copy"]!["count"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Lifecycle_ExpiresUploadsAndErrorMarkers()
    {
        var json = Compiled.Value.ToJsonString();

        Assert.Contains("expire-uploads", json, StringComparison.Ordinal);
        Assert.Contains("uploads/", json, StringComparison.Ordinal);
        Assert.Contains("expire-error-markers", json, StringComparison.Ordinal);
    }
}
