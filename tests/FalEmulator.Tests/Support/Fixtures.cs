namespace FalEmulator.Tests.Support;

/// <summary>The committed test files (tests/FalEmulator.Tests/Fixtures), copied beside the test assembly.</summary>
public static class Fixtures
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));
}
