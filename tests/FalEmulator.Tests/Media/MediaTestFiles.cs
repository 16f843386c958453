using System.Runtime.CompilerServices;

namespace FalEmulator.Tests.Media;

/// <summary>Locates committed test files without depending on the test project copying them.</summary>
internal static class MediaTestFiles
{
    /// <summary>
    /// A file from tests/FalEmulator.Tests/Fixtures: from the output folder when the project copies
    /// Fixtures/**, otherwise next to this source file (the tests run from a checkout).
    /// </summary>
    public static string Fixture(string name) => Locate(name, SourceDirectory());

    /// <summary>A committed fallback clip, as the renderer finds it (assets/** is copied to the output folder).</summary>
    public static string Asset(string name) => Path.Combine(AppContext.BaseDirectory, "assets", name);

    private static string Locate(string name, string sourceDirectory)
    {
        var copied = Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
        if (File.Exists(copied))
        {
            return copied;
        }

        var source = Path.GetFullPath(Path.Combine(sourceDirectory, "..", "Fixtures", name));
        return File.Exists(source)
            ? source
            : throw new FileNotFoundException($"Test fixture {name} not found in {copied} or {source}.", name);
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
