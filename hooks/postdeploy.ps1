# After code deploy (azd postdeploy on Windows; hooks/postdeploy.sh is the same for sh): the blob extension's key
# exists now, so subscribe the inbox container's BlobCreated events to the InboxTrigger function
# (infra/inbox-subscription.bicep, with its dead-letter container), then refresh the app's Key Vault references so a
# FAL-KEY secret set after provisioning is read now rather than within 24 hours. Safe to run again.
# Needs the Azure CLI (az), signed in to the subscription the app is in. docs/deploy.md has the whole deploy path.
#
# Runs on PowerShell 7 (pwsh) and on Windows PowerShell 5.1, which azd uses when pwsh is missing: no PowerShell 6+
# syntax or parameters (tests/Infra.Tests checks), and az runs only through Invoke-Az, which reads az's exit code and
# error text itself (5.1 turns a native command's stderr into errors, which 'Stop' would make fatal).
#
# Every az failure is reported with az's own error text. Not signed in, or not allowed: fails at once. Waiting for
# the key: retried for 5 minutes. The subscription deployment: retried for 5 minutes, since the system topic's role
# on the storage account (made by the provisioning minutes ago) can take that long to propagate.
# POSTDEPLOY_POLL_SECONDS, POSTDEPLOY_KEY_ATTEMPTS, POSTDEPLOY_RETRY_SECONDS and POSTDEPLOY_DEPLOY_ATTEMPTS change
# these waits (tests/Infra.Tests runs the hook against a stand-in az with them).
$ErrorActionPreference = 'Stop'

function Stop-Hook([string] $Message) {
    [Console]::Error.WriteLine($Message)
    exit 1
}

foreach ($name in 'RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'INBOX_SYSTEM_TOPIC_NAME') {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        Stop-Hook "$name is not set: run through azd, or set RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME and INBOX_SYSTEM_TOPIC_NAME"
    }
}
if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Stop-Hook 'The post-deploy step needs the Azure CLI (az): https://aka.ms/install-azure-cli'
}

function Get-Setting([string] $Name, [int] $Default) {
    $value = [Environment]::GetEnvironmentVariable($Name)
    if ($value) { return [int] $value }
    return $Default
}

$pollSeconds = Get-Setting 'POSTDEPLOY_POLL_SECONDS' 10
$keyAttempts = Get-Setting 'POSTDEPLOY_KEY_ATTEMPTS' 30
$retrySeconds = Get-Setting 'POSTDEPLOY_RETRY_SECONDS' 30
$deployAttempts = Get-Setting 'POSTDEPLOY_DEPLOY_ATTEMPTS' 10

# Runs az with the arguments given; returns its exit code, its output and its error text. Never throws.
function Invoke-Az([string[]] $Arguments) {
    $previous = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $lines = @(& az @Arguments 2>&1)
        $exitCode = $LASTEXITCODE
    }
    finally {
        $ErrorActionPreference = $previous
    }
    $output = @($lines | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] } | ForEach-Object { "$_" })
    $errors = @($lines | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { $_.ToString() })
    return New-Object PSObject -Property @{ ExitCode = $exitCode; Output = ($output -join "`n").Trim(); Error = ($errors -join "`n").Trim() }
}

# What az's error text says: a missing or expired sign-in, or missing rights. Neither gets better by waiting.
function Test-SignInError([string] $Text) { return $Text -match 'az login|AADSTS|expired|refresh token|InteractionRequired|not logged in' }
# ARM's AuthorizationFailed (and LinkedAuthorizationFailed) name the signed-in account, never the topic's identity.
function Test-RightsError([string] $Text) { return $Text -match 'AuthorizationFailed|does not have authorization' }

# Says what failed and why, with az's own error text, and stops.
function Stop-AzFailure([string] $What, [string] $AzError) {
    if (Test-SignInError $AzError) {
        $message = "$What failed: the Azure CLI is not signed in, or its sign-in has expired: sign in with az login (and az account set --subscription <id>)."
    }
    elseif (Test-RightsError $AzError) {
        $message = "$What failed: your account lacks the rights for it (docs/deploy.md, Rights: Owner, or Contributor and User Access Administrator)."
    }
    else {
        $message = "$What failed."
    }
    if ($AzError) { $message += "`naz said:`n  " + ($AzError -replace "`n", "`n  ") }
    Stop-Hook $message
}

# az with the arguments given; returns its output, or stops with what failed and az's error text.
function Invoke-AzOrStop([string] $What, [string[]] $Arguments) {
    $result = Invoke-Az $Arguments
    if ($result.ExitCode -ne 0) { Stop-AzFailure $What $result.Error }
    return $result.Output
}

# azd sets AZURE_SUBSCRIPTION_ID; without it, az's default subscription is used.
$subscription = @()
if ($env:AZURE_SUBSCRIPTION_ID) { $subscription = @('--subscription', $env:AZURE_SUBSCRIPTION_ID) }
$group = $env:RESOURCE_GROUP
$app = $env:AZURE_FUNCTION_APP_NAME

$null = Invoke-AzOrStop "Checking the Azure CLI's sign-in (az account show)" (@('account', 'show') + $subscription + @('--query', 'id', '-o', 'none'))

Write-Host "Waiting for the blobs_extension key of $app..."
for ($i = 1; ; $i++) {
    $result = Invoke-Az (@('functionapp', 'keys', 'list') + $subscription + @('-g', $group, '-n', $app, '--query', 'systemKeys.blobs_extension', '-o', 'tsv'))
    if ($result.ExitCode -eq 0) {
        if ($result.Output) { break }
    }
    elseif ((Test-SignInError $result.Error) -or (Test-RightsError $result.Error)) {
        Stop-AzFailure "Reading the app's keys (az functionapp keys list)" $result.Error
    }
    if ($i -ge $keyAttempts) {
        if ($result.ExitCode -ne 0 -and $result.Error) {
            Stop-AzFailure "Waiting for the blobs_extension key ($i attempts, $pollSeconds s apart)" $result.Error
        }
        Stop-Hook "The blobs_extension key did not appear ($i attempts, $pollSeconds s apart): it exists once the app runs InboxTrigger. Is the code deployed, and did the app start (az functionapp log deployment list, Application Insights)?"
    }
    Start-Sleep -Seconds $pollSeconds
}

$template = Join-Path (Join-Path (Join-Path $PSScriptRoot '..') 'infra') 'inbox-subscription.bicep'
$deploy = @('deployment', 'group', 'create') + $subscription + @('-g', $group, '-n', 'inbox-subscription',
    '--template-file', $template,
    '--parameters', "functionAppName=$app", "systemTopicName=$env:INBOX_SYSTEM_TOPIC_NAME",
    '--output', 'none')
for ($i = 1; ; $i++) {
    $result = Invoke-Az $deploy
    if ($result.ExitCode -eq 0) { break }
    if ((Test-SignInError $result.Error) -or (Test-RightsError $result.Error) -or $i -ge $deployAttempts) {
        Stop-AzFailure "Deploying the inbox subscription (infra/inbox-subscription.bicep, attempt $i of $deployAttempts)" $result.Error
    }
    [Console]::Error.WriteLine("Deploying the inbox subscription failed (attempt $i of $deployAttempts); trying again in $retrySeconds s, as the system topic's role on the storage account may still be propagating. az said:`n  " + ($result.Error -replace "`n", "`n  "))
    Start-Sleep -Seconds $retrySeconds
}
Write-Host "Inbox subscription in place: drop images into the inbox container of $(if ($env:STORAGE_ACCOUNT_NAME) { $env:STORAGE_ACCOUNT_NAME } else { 'the storage account' })."

$appId = Invoke-AzOrStop "Reading the app's resource id (az functionapp show)" (@('functionapp', 'show') + $subscription + @('-g', $group, '-n', $app, '--query', 'id', '-o', 'tsv'))
$null = Invoke-AzOrStop "Refreshing the app's Key Vault references (az rest)" @('rest', '--method', 'post',
    '--url', "https://management.azure.com$appId/config/configreferences/appsettings/refresh?api-version=2022-03-01", '--output', 'none')
Write-Host 'Key Vault references refreshed: GET /api/health shows whether FAL_KEY is set.'
