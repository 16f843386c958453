namespace Infra.Tests;

/// <summary>
/// hooks/postdeploy.ps1 stays runnable on Windows PowerShell 5.1, which azd uses for a `shell: pwsh` hook when pwsh is
/// missing (azd's August 2025 release); 5.1 cannot run here, so its known gaps are looked for in the text
/// (<see cref="PowerShellCompatibility"/>), and the scan is shown to catch each of them.
/// </summary>
public sealed class PowerShellCompatibilityTests
{
    [Fact]
    public void PostDeployScript_UsesNothingWindowsPowerShell51Lacks()
    {
        var script = File.ReadAllText(Path.Combine(Bicep.RepositoryRoot, "hooks", "postdeploy.ps1"));

        Assert.Empty(PowerShellCompatibility.Findings(script));
    }

    [Fact]
    public void PostDeployScript_RunsAzOnlyThroughTheRunner_WhichReadsExitCodeAndStderr()
    {
        var script = File.ReadAllText(Path.Combine(Bicep.RepositoryRoot, "hooks", "postdeploy.ps1"));

        Assert.Contains($"function {PowerShellCompatibility.AzRunner}", script, StringComparison.Ordinal);
        Assert.Contains("$LASTEXITCODE", script, StringComparison.Ordinal);
        Assert.DoesNotContain("2>$null", script, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("$template = Join-Path $PSScriptRoot '..' 'infra' 'x.bicep'", "Join-Path")] // the hook's old line
    [InlineData("$t = Join-Path -Path $a -ChildPath 'b' -AdditionalChildPath 'c'", "Join-Path")]
    [InlineData("$key = az functionapp keys list -g $g -n $n 2>$null", "az called outside")]
    [InlineData("& git status 2>$null", "stderr redirected")]
    [InlineData("$x = $a ?? 'default'", "??")]
    [InlineData("$x ??= 1", "??")]
    [InlineData("$n = $obj?.Name", "?.")]
    [InlineData("$x = $ok ? 'yes' : 'no'", "ternary")]
    [InlineData("Get-Thing && Write-Host done", "&&")]
    [InlineData("Get-Thing || throw 'no'", "&&")]
    [InlineData("$o = $json | ConvertFrom-Json -AsHashtable", "AsHashtable")]
    [InlineData("$o = $json | ConvertFrom-Json -Depth 5", "Depth")]
    [InlineData("$s = $names | Join-String -Separator ','", "Join-String")]
    [InlineData("1..3 | ForEach-Object -Parallel { $_ }", "Parallel")]
    [InlineData("if ($IsWindows) { }", "IsWindows")]
    [InlineData("Set-Content x.txt -Value 'a' -Encoding utf8NoBOM", "utf8NoBOM")]
    [InlineData("Write-Host 'caf\u00e9'", "non-ASCII")]
    public void Scan_CatchesWhatWindowsPowerShell51Lacks(string line, string expected)
    {
        var findings = PowerShellCompatibility.Findings(line + "\n");

        Assert.Contains(findings, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("$template = Join-Path (Join-Path $PSScriptRoot '..') 'infra'")]
    [InlineData("$items | ? { $_.Name } | % { $_ }")] // ? and % as the aliases of Where-Object and ForEach-Object
    [InlineData("Write-Host 'a ?? b && c || d ? e : f 2>$null' # az x 2>$null ?? y")] // in strings and comments
    [InlineData("[Console]::Error.WriteLine('x')")]
    [InlineData("if (-not (Get-Command az -ErrorAction SilentlyContinue)) { exit 1 }")]
    public void Scan_LeavesWhatWindowsPowerShell51Runs(string line)
    {
        Assert.Empty(PowerShellCompatibility.Findings(line + "\n"));
    }

    [Fact]
    public void Scan_WantsTheRunnerToReadAzsExitCode_UnderContinue()
    {
        const string careless = "function Invoke-Az([string[]] $Arguments) {\n    & az @Arguments 2>&1\n}\n";
        const string careful = "function Invoke-Az([string[]] $Arguments) {\n"
            + "    $ErrorActionPreference = 'Continue'\n"
            + "    $lines = & az @Arguments 2>&1\n"
            + "    $code = $LASTEXITCODE\n"
            + "}\n";

        Assert.Contains(PowerShellCompatibility.Findings(careless), f => f.Contains("LASTEXITCODE", StringComparison.Ordinal));
        Assert.Empty(PowerShellCompatibility.Findings(careful));
    }
}
