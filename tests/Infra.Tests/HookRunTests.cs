using System.Diagnostics;

namespace Infra.Tests;

/// <summary>
/// Both post-deploy hooks run against a stand-in <c>az</c> (a shell script first on PATH that logs its calls and
/// answers as told): they check the sign-in first, fail at once on sign-in and rights errors with az's own text, keep
/// waiting through transient errors and say the last one when they give up, and retry the inbox subscription's
/// deployment while a role may still be propagating. postdeploy.sh runs with sh; postdeploy.ps1 runs with PowerShell 7
/// when one is found (PWSH, pwsh on PATH, or .local/pwsh/pwsh: `dotnet tool install --tool-path .local/pwsh
/// PowerShell --version 7.6.10`), and is skipped otherwise. Windows PowerShell 5.1 cannot run here:
/// PowerShellCompatibilityTests checks the script for what 5.1 lacks.
/// </summary>
public sealed class HookRunTests
{
    private const string FakeAz = """
        #!/bin/sh
        # Stand-in for the Azure CLI: logs each call to $FAKE_AZ_STATE/calls, answers as the FAKE_AZ_* variables say.
        state=${FAKE_AZ_STATE:?}
        echo "$*" >> "$state/calls"
        count() { n=$(cat "$state/$1" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$state/$1"; echo "$n"; }
        case "$1 $2" in
          "account show")
            if [ -n "${FAKE_AZ_ACCOUNT_ERROR:-}" ]; then echo "ERROR: $FAKE_AZ_ACCOUNT_ERROR" >&2; exit 1; fi ;;
          "functionapp keys")
            n=$(count keys)
            if [ -n "${FAKE_AZ_KEYS_ERROR:-}" ]; then echo "ERROR: $FAKE_AZ_KEYS_ERROR" >&2; exit 1; fi
            if [ "$n" -ge "${FAKE_AZ_KEY_ON_CALL:-1}" ]; then echo "blobs-extension-key"; fi ;;
          "deployment group")
            n=$(count deploy)
            if [ "$n" -le "${FAKE_AZ_DEPLOY_FAILS:-0}" ]; then echo "ERROR: ${FAKE_AZ_DEPLOY_ERROR:-failed}" >&2; exit 1; fi
            echo "WARNING: az writes warnings to stderr too" >&2 ;;
          "functionapp show") echo "/subscriptions/sub/resourceGroups/rg-video/providers/Microsoft.Web/sites/func-app" ;;
          "rest --method") ;;
          *) echo "ERROR: the stand-in az does not know: $*" >&2; exit 2 ;;
        esac
        """;

    private const string NotSignedIn = "Please run 'az login' to setup account.";
    private const string TokenExpired = "AADSTS700082: The refresh token has expired due to inactivity. Please run 'az login'.";
    private const string HostStarting = "Encountered an error (ServiceUnavailable) from host runtime.";
    private const string CannotListKeys = "(AuthorizationFailed) The client 'me@example.com' with object id '0000' "
        + "does not have authorization to perform action 'Microsoft.Web/sites/host/listkeys/action'";
    private const string CannotDeploy = "(AuthorizationFailed) The client 'me@example.com' with object id '0000' "
        + "does not have authorization to perform action 'Microsoft.Resources/deployments/write'";
    private const string NotYetAllowed = "(BadRequest) Dead letter destination: the identity could not write to the storage account.";

    public static TheoryData<string> Hooks() => ["postdeploy.sh", "postdeploy.ps1"];

    [Theory]
    [MemberData(nameof(Hooks))]
    public void SignedIn_WaitsForTheKey_DeploysTheSubscription_AndRefreshesTheReferences(string hook)
    {
        var run = Run(hook, ("FAKE_AZ_KEY_ON_CALL", "3"));

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(
            [
                "account show --subscription sub-id --query id -o none",
                "functionapp keys list --subscription sub-id -g rg-video -n func-app --query systemKeys.blobs_extension -o tsv",
                "functionapp keys list --subscription sub-id -g rg-video -n func-app --query systemKeys.blobs_extension -o tsv",
                "functionapp keys list --subscription sub-id -g rg-video -n func-app --query systemKeys.blobs_extension -o tsv",
                "deployment group create --subscription sub-id -g rg-video -n inbox-subscription --template-file <template> "
                    + "--parameters functionAppName=func-app systemTopicName=evgt-inbox --output none",
                "functionapp show --subscription sub-id -g rg-video -n func-app --query id -o tsv",
                "rest --method post --url https://management.azure.com/subscriptions/sub/resourceGroups/rg-video/providers/"
                    + "Microsoft.Web/sites/func-app/config/configreferences/appsettings/refresh?api-version=2022-03-01 --output none",
            ],
            run.Calls);
        Assert.EndsWith(Path.Combine("infra", "inbox-subscription.bicep"), Path.GetFullPath(run.Template!), StringComparison.Ordinal);
        Assert.True(File.Exists(run.Template), run.Template);
    }

    [Theory]
    [MemberData(nameof(Hooks))]
    public void NotSignedIn_FailsAtOnce_SayingSignInWithAzLogin_AndAzsOwnMessage(string hook)
    {
        var run = Run(hook, ("FAKE_AZ_ACCOUNT_ERROR", NotSignedIn));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("sign in with az login", run.Output, StringComparison.Ordinal);
        Assert.Contains(NotSignedIn, run.Output, StringComparison.Ordinal);
        Assert.Equal(["account show --subscription sub-id --query id -o none"], run.Calls); // no waiting for a key
    }

    [Theory]
    [MemberData(nameof(Hooks))]
    public void SignInExpiringWhileWaiting_FailsAtOnce_WithAzsMessage(string hook)
    {
        var run = Run(hook, ("FAKE_AZ_KEYS_ERROR", TokenExpired));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("sign in with az login", run.Output, StringComparison.Ordinal);
        Assert.Contains(TokenExpired, run.Output, StringComparison.Ordinal);
        Assert.Single(run.Calls, c => c.StartsWith("functionapp keys list", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Hooks))]
    public void NotAllowedToReadTheKeys_FailsAtOnce_NamingTheRights(string hook)
    {
        var run = Run(hook, ("FAKE_AZ_KEYS_ERROR", CannotListKeys));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("lacks the rights", run.Output, StringComparison.Ordinal);
        Assert.Contains(CannotListKeys, run.Output, StringComparison.Ordinal);
        Assert.Single(run.Calls, c => c.StartsWith("functionapp keys list", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Hooks))]
    public void KeyListFailingForAWhile_KeepsWaiting_AndSaysAzsLastErrorWhenGivingUp(string hook)
    {
        var run = Run(hook, ("FAKE_AZ_KEYS_ERROR", HostStarting));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(HostStarting, run.Output, StringComparison.Ordinal);
        Assert.Equal(3, run.Calls.Count(c => c.StartsWith("functionapp keys list", StringComparison.Ordinal))); // POSTDEPLOY_KEY_ATTEMPTS
        Assert.DoesNotContain(run.Calls, c => c.StartsWith("deployment", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Hooks))]
    public void KeyNeverAppearing_SaysWhereItComesFrom(string hook)
    {
        var run = Run(hook, ("FAKE_AZ_KEY_ON_CALL", "99"));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("InboxTrigger", run.Output, StringComparison.Ordinal);
        Assert.Equal(3, run.Calls.Count(c => c.StartsWith("functionapp keys list", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Hooks))]
    public void SubscriptionRefusedWhileTheRolePropagates_IsDeployedAgain_ShowingAzsError(string hook)
    {
        var run = Run(hook, ("FAKE_AZ_DEPLOY_FAILS", "2"), ("FAKE_AZ_DEPLOY_ERROR", NotYetAllowed));

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(3, run.Calls.Count(c => c.StartsWith("deployment group create", StringComparison.Ordinal)));
        Assert.Contains(NotYetAllowed, run.Output, StringComparison.Ordinal);
        Assert.Contains("propagating", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Hooks))]
    public void SubscriptionRefusedEveryTime_FailsAfterTheLastAttempt_WithAzsError(string hook)
    {
        var run = Run(hook, ("FAKE_AZ_DEPLOY_FAILS", "99"), ("FAKE_AZ_DEPLOY_ERROR", NotYetAllowed));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Equal(
            3, // POSTDEPLOY_DEPLOY_ATTEMPTS
            run.Calls.Count(c => c.StartsWith("deployment group create", StringComparison.Ordinal)));
        Assert.Contains("attempt 3 of 3", run.Output, StringComparison.Ordinal);
        Assert.Contains(NotYetAllowed, run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Calls, c => c.StartsWith("rest", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Hooks))]
    public void DeployerWithoutTheRights_FailsAtOnce_NamingTheRights(string hook)
    {
        var run = Run(hook, ("FAKE_AZ_DEPLOY_FAILS", "99"), ("FAKE_AZ_DEPLOY_ERROR", CannotDeploy));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Single(run.Calls, c => c.StartsWith("deployment group create", StringComparison.Ordinal));
        Assert.Contains("Owner, or Contributor and User Access Administrator", run.Output, StringComparison.Ordinal);
        Assert.Contains(CannotDeploy, run.Output, StringComparison.Ordinal);
    }

    private sealed record HookRun(int ExitCode, string Output, IReadOnlyList<string> Calls, string? Template);

    private static HookRun Run(string hook, params (string Name, string Value)[] settings)
    {
        var (shell, shellArgs) = hook.EndsWith(".ps1", StringComparison.Ordinal)
            ? (PowerShell() ?? SkipWithoutPowerShell(), new[] { "-NoProfile", "-NonInteractive", "-File" })
            : ("sh", Array.Empty<string>());

        var scratch = Directory.CreateTempSubdirectory("hook-");
        try
        {
            var bin = scratch.CreateSubdirectory("bin").FullName;
            var state = scratch.CreateSubdirectory("state").FullName;
            var az = Path.Combine(bin, "az");
            File.WriteAllText(az, FakeAz.ReplaceLineEndings("\n") + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(az, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var start = new ProcessStartInfo(shell)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Bicep.RepositoryRoot,
            };
            foreach (var arg in shellArgs)
            {
                start.ArgumentList.Add(arg);
            }

            start.ArgumentList.Add(Path.Combine("hooks", hook));
            start.Environment["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
            start.Environment["FAKE_AZ_STATE"] = state;
            start.Environment["RESOURCE_GROUP"] = "rg-video";
            start.Environment["AZURE_FUNCTION_APP_NAME"] = "func-app";
            start.Environment["INBOX_SYSTEM_TOPIC_NAME"] = "evgt-inbox";
            start.Environment["AZURE_SUBSCRIPTION_ID"] = "sub-id";
            start.Environment["POSTDEPLOY_POLL_SECONDS"] = "0";
            start.Environment["POSTDEPLOY_RETRY_SECONDS"] = "0";
            start.Environment["POSTDEPLOY_KEY_ATTEMPTS"] = "3";
            start.Environment["POSTDEPLOY_DEPLOY_ATTEMPTS"] = "3";
            foreach (var (name, value) in settings)
            {
                start.Environment[name] = value;
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{shell} hooks/{hook}");
            }

            var callsFile = Path.Combine(state, "calls");
            var calls = File.Exists(callsFile) ? File.ReadAllLines(callsFile) : [];
            string? template = null;
            var normalized = calls.Select(call =>
            {
                const string option = "--template-file ";
                var at = call.IndexOf(option, StringComparison.Ordinal);
                if (at < 0)
                {
                    return call;
                }

                var end = call.IndexOf(' ', at + option.Length);
                template = call[(at + option.Length)..end];
                return call[..(at + option.Length)] + "<template>" + call[end..];
            }).ToList();
            if (template is not null && !Path.IsPathRooted(template))
            {
                template = Path.Combine(Bicep.RepositoryRoot, template);
            }

            return new HookRun(process.ExitCode, stdout.Result + stderr.Result, normalized, template);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>PowerShell 7 if this machine has one: PWSH, pwsh on PATH, or the repository's .local/pwsh/pwsh.</summary>
    private static string? PowerShell()
    {
        var candidates = new List<string?> { Environment.GetEnvironmentVariable("PWSH") };
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh")));
        candidates.Add(Path.Combine(Bicep.RepositoryRoot, ".local", "pwsh", OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh"));
        return candidates.FirstOrDefault(File.Exists);
    }

    private static string SkipWithoutPowerShell()
    {
        Assert.Skip("PowerShell 7 not found (PWSH, pwsh on PATH, or .local/pwsh/pwsh); install it with "
            + "`dotnet tool install --tool-path .local/pwsh PowerShell --version 7.6.10` to run postdeploy.ps1 here.");
        return null!;
    }
}
