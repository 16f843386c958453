using System.Text.RegularExpressions;

namespace Pipeline.UnitTests.Architecture;

/// <summary>
/// The shape a maintainer relies on, read from the source: Core's folders follow the job's path and no two of them use
/// each other (a folder that uses another is below it), and no Core file is longer than a reader can hold.
/// </summary>
public sealed partial class CoreLayoutTests
{
    private static readonly string Core = Path.Combine(RepositoryRoot(), "src", "Pipeline.Core");

    [Fact]
    public void CoreFolders_NeverUseEachOther()
    {
        var files = SourceFiles().Select(f => (Folder: Path.GetRelativePath(Core, Path.GetDirectoryName(f)!), Code: Code(f))).ToList();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (folder, code) in files)
        {
            foreach (Match m in TopLevelType().Matches(code))
            {
                types.TryAdd(m.Groups[1].Value, folder);
            }
        }

        var uses = files
            .SelectMany(f => types
                .Where(t => t.Value != f.Folder && Regex.IsMatch(f.Code, $@"\b{t.Key}\b"))
                .Select(t => (From: f.Folder, To: t.Value)))
            .ToHashSet();

        var mutual = uses
            .Where(u => string.CompareOrdinal(u.From, u.To) < 0 && uses.Contains((u.To, u.From)))
            .Select(u => $"{u.From} <-> {u.To}");
        Assert.Empty(mutual);
    }

    [Fact]
    public void CoreFiles_AreAtMost450Lines()
    {
        var long_ = SourceFiles()
            .Select(f => (File: Path.GetRelativePath(Core, f), Lines: File.ReadAllLines(f).Length)).Where(f => f.Lines > 450);

        Assert.Empty(long_);
    }

    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(Core, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    /// <summary>The file without its comments, so that a name in a doc comment is not a use.</summary>
    private static string Code(string file) => Comment().Replace(File.ReadAllText(file), "");

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(folder!.FullName, "Pipeline.sln")))
        {
            folder = folder.Parent;
        }

        return folder.FullName;
    }

    [GeneratedRegex(
        @"(?m)^(?:\[[^\]]*\]\s*)*(?:public |internal |static |sealed |abstract |partial |readonly )*"
        + @"(?:class|record|enum|interface|struct)\s+([A-Z]\w*)")]
    private static partial Regex TopLevelType();

    [GeneratedRegex(@"//.*")]
    private static partial Regex Comment();
}
