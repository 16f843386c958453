using System.Reflection;
using System.Text.Json.Nodes;
using Pipeline.Core.Options;

namespace Pipeline.Functions.Tests;

/// <summary>
/// Every setting the app reads is in <c>local.settings.sample.json</c> (which the templates and docs/settings.md are
/// checked against), so a new option cannot ship unset in Azure and undocumented.
/// </summary>
public sealed class SampleSettingsTests
{
    /// <summary>
    /// Secrets: read under their own names (FAL_KEY, FAL_ADMIN_KEY, FAL_WEBHOOK_SECRET, CALLBACK_SECRET…), never in a sample.
    /// </summary>
    private static readonly string[] Secrets = ["Fal__Key", "Fal__AdminKey", "FalWebhook__UrlSecret", "Callbacks__Secrets"];

    [Fact]
    public void EveryOptionOfTheCore_IsInTheSampleSettings()
    {
        var sample = SampleKeys();
        var options = typeof(PipelineOptions).Assembly.GetTypes()
            .Where(t => t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true })
            .ToList();
        Assert.True(options.Count >= 6, $"found only {options.Count} option classes");

        var missing = options
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.SetMethod is { IsPublic: true })
                .Select(p => $"{t.GetField("SectionName")!.GetRawConstantValue()}__{p.Name}"))
            .Where(key => !Secrets.Contains(key) && !sample.Any(k => k == key || k.StartsWith(key + "__", StringComparison.Ordinal)))
            .ToList();

        Assert.Empty(missing);
    }

    private static List<string> SampleKeys()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(folder!.FullName, "local.settings.sample.json")))
        {
            folder = folder.Parent;
        }

        var values = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.FullName, "local.settings.sample.json")))!["Values"]!.AsObject();
        return [.. values.Select(v => v.Key)];
    }
}
