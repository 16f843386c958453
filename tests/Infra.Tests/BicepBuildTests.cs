namespace Infra.Tests;

/// <summary>Every template in infra/ compiles and passes the Bicep linter with no warning at all.</summary>
public sealed class BicepBuildTests
{
    public static TheoryData<string> Templates() => [.. Bicep.Files().Select(f => Path.GetRelativePath(Bicep.InfraFolder, f))];

    [Theory]
    [MemberData(nameof(Templates))]
    public void Build_EveryTemplate_CompilesWithoutWarnings(string template)
    {
        var (exitCode, _, errors) = Bicep.Run("build", Path.Combine(Bicep.InfraFolder, template), "--stdout");

        Assert.True(exitCode == 0, errors);
        Assert.DoesNotContain("Warning", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Error", errors, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Lint_EveryTemplate_HasNoFindings(string template)
    {
        var (exitCode, output, errors) = Bicep.Run("lint", Path.Combine(Bicep.InfraFolder, template));

        Assert.True(exitCode == 0, errors);
        Assert.Equal("", (output + errors).Trim());
    }

    [Fact]
    public void Lint_ATemplateWithAFinding_IsCaught()
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"lint-{Guid.NewGuid():N}.bicep");
        File.WriteAllText(scratch, "param unused string\n");
        try
        {
            var (_, output, errors) = Bicep.Run("lint", scratch);

            Assert.Contains("no-unused-params", output + errors, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(scratch);
        }
    }
}
