using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Infra.Tests;

/// <summary>
/// The documentation a newcomer starts from: a README short enough to read (the reference lives in docs/), which names
/// the two commands; links between the documents that lead somewhere (files and headings); and a settings reference
/// that names every setting of local.settings.sample.json.
/// </summary>
public sealed partial class DocsTests
{
    private const int ReadmeMaxLines = 250;

    private static string Root => Bicep.RepositoryRoot;

    /// <summary>README.md, every document under docs/, and the fal emulator's README.</summary>
    private static IEnumerable<string> Documents() =>
        new[] { Path.Combine(Root, "README.md"), Path.Combine(Root, "src", "FalEmulator", "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal);

    [Fact]
    public void Readme_IsAFrontDoorWithTheTwoCommands()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "README.md"));
        var text = string.Join('\n', lines);

        Assert.True(
            lines.Length <= ReadmeMaxLines,
            $"README.md has {lines.Length} lines; at most {ReadmeMaxLines}: move reference material into docs/");
        Assert.Contains("## The two commands", lines);
        Assert.Contains("`./scripts/run.sh`", text, StringComparison.Ordinal);
        Assert.Contains("`./scripts/test.sh`", text, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Root, "scripts", "run.sh")) && File.Exists(Path.Combine(Root, "scripts", "test.sh")));
    }

    [Fact]
    public void RelativeLinks_LeadToFilesAndHeadingsThatExist()
    {
        var broken = new List<string>();
        var links = 0;
        foreach (var document in Documents())
        {
            foreach (var target in LinkTargets(File.ReadAllText(document)))
            {
                links++;
                if (Problem(document, target) is { } problem)
                {
                    broken.Add($"{Path.GetRelativePath(Root, document)}: ({target}) {problem}");
                }
            }
        }

        Assert.True(links > 20, $"only {links} links found: is the link reader still reading?");
        Assert.True(broken.Count == 0, "broken links:\n" + string.Join('\n', broken));
    }

    /// <summary>
    /// Every key of the sample's <c>Values</c> is in docs/settings.md, host keys included: <c>AzureWebJobsStorage</c>,
    /// <c>FUNCTIONS_WORKER_RUNTIME</c> and the trigger switches are settings someone running the app must set or
    /// understand, so none is left out. A key is found as <c>`key`</c> (in backticks, so that <c>PipelineStorage</c>
    /// is not found inside <c>PipelineStorage__clientId</c>), or with <c>__</c> written <c>:</c>.
    /// </summary>
    [Fact]
    public void SettingsDoc_NamesEverySettingOfTheLocalSample()
    {
        var settings = File.ReadAllText(Path.Combine(Root, "docs", "settings.md"));
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "local.settings.sample.json")))!["Values"]!.AsObject();

        var missing = sample.Select(s => s.Key)
            .Where(key => !settings.Contains($"`{key}`", StringComparison.Ordinal)
                && !settings.Contains($"`{key.Replace("__", ":", StringComparison.Ordinal)}`", StringComparison.Ordinal))
            .ToList();

        Assert.True(sample.Count > 50, "the sample's Values were not read");
        Assert.True(
            missing.Count == 0,
            "settings of local.settings.sample.json that docs/settings.md does not name: " + string.Join(", ", missing));
    }

    [Fact]
    public void Slugs_AreGitHubs()
    {
        Assert.Equal("pipelinecore-along-the-jobs-path", Slug("Pipeline.Core, along the job's path"));
        Assert.Equal("settings-falemulator", Slug("Settings (`FalEmulator:*`)"));
        Assert.Equal("what-is-kept-and-for-how-long", Slug("What is kept, and for how long"));
        Assert.Equal(["costs", "costs-1"], Headings("## Costs\n\n## Costs\n```\n# not a heading\n```\n"));
    }

    /// <summary>Why a link's target does not resolve, or null when it does. External links are not followed.</summary>
    private static string? Problem(string document, string target)
    {
        if (UriScheme().IsMatch(target))
        {
            return null; // https:, mailto: …
        }

        var hash = target.IndexOf('#', StringComparison.Ordinal);
        var path = Uri.UnescapeDataString(hash < 0 ? target : target[..hash]);
        var anchor = hash < 0 ? null : target[(hash + 1)..];
        var file = path.Length == 0 ? document : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(document)!, path));
        var relative = Path.GetRelativePath(Root, file).Replace('\\', '/');
        if (relative.StartsWith("../", StringComparison.Ordinal))
        {
            return "points outside the repository";
        }

        if (!File.Exists(file) && !Directory.Exists(file))
        {
            return "no such file";
        }

        if (anchor is not null)
        {
            if (!file.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
            {
                return "an anchor into a file that is not markdown";
            }

            if (!Headings(File.ReadAllText(file)).Contains(anchor, StringComparer.Ordinal))
            {
                return $"no heading #{anchor} in {relative}";
            }
        }

        return null;
    }

    /// <summary>The targets of the document's links and images, outside code blocks and code spans.</summary>
    private static IEnumerable<string> LinkTargets(string markdown) =>
        Link().Matches(CodeSpan().Replace(WithoutCodeBlocks(markdown), "")).Select(m => m.Groups[1].Value);

    /// <summary>The anchors of the document's headings, as GitHub makes them (a repeated one gets -1, -2, …).</summary>
    private static List<string> Headings(string markdown)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var anchors = new List<string>();
        foreach (Match heading in Heading().Matches(WithoutCodeBlocks(markdown)))
        {
            var slug = Slug(heading.Groups[1].Value);
            var count = seen.GetValueOrDefault(slug);
            seen[slug] = count + 1;
            anchors.Add(count == 0 ? slug : $"{slug}-{count}");
        }

        return anchors;
    }

    /// <summary>GitHub's heading anchor: lower case, punctuation dropped (but <c>-</c> and <c>_</c>), spaces as <c>-</c>.</summary>
    private static string Slug(string heading)
    {
        var slug = new StringBuilder();
        foreach (var c in heading.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                slug.Append(c);
            }
            else if (c == ' ')
            {
                slug.Append('-');
            }
        }

        return slug.ToString();
    }

    private static string WithoutCodeBlocks(string markdown)
    {
        var kept = new StringBuilder();
        var inBlock = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inBlock = !inBlock;
                continue;
            }

            if (!inBlock)
            {
                kept.Append(line).Append('\n');
            }
        }

        return kept.ToString();
    }

    [GeneratedRegex(@"\]\(([^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex("`[^`\n]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9+.-]*:")]
    private static partial Regex UriScheme();
}
