# After code deploy (azd postdeploy on Windows; hooks/postdeploy.sh is the same for sh): the blob extension's key
# exists now, so subscribe the inbox container's BlobCreated events to the InboxTrigger function
# (infra/inbox-subscription.bicep, with its dead-letter container), then refresh the app's Key Vault references so a
# FAL-KEY secret set after provisioning is read now rather than within 24 hours. Safe to run again.
# Needs the Azure CLI (az), signed in to the subscription the app is in.
$ErrorActionPreference = 'Stop'
foreach ($name in 'RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'INBOX_SYSTEM_TOPIC_NAME') {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        throw "$name is not set: run through azd, or set RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME and INBOX_SYSTEM_TOPIC_NAME"
    }
}
if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    throw 'The post-deploy step needs the Azure CLI (az): https://aka.ms/install-azure-cli'
}

# azd sets AZURE_SUBSCRIPTION_ID; without it, az's default subscription is used.
$subscription = if ($env:AZURE_SUBSCRIPTION_ID) { @('--subscription', $env:AZURE_SUBSCRIPTION_ID) } else { @() }
$group = $env:RESOURCE_GROUP
$app = $env:AZURE_FUNCTION_APP_NAME

Write-Host "Waiting for the blobs_extension key of $app..."
for ($i = 1; ; $i++) {
    $key = az functionapp keys list @subscription -g $group -n $app --query 'systemKeys.blobs_extension' -o tsv 2>$null
    if ($key) { break }
    if ($i -gt 30) { throw 'The key did not appear within 5 minutes; is InboxTrigger deployed?' }
    Start-Sleep -Seconds 10
}

az deployment group create @subscription -g $group -n inbox-subscription `
    --template-file (Join-Path $PSScriptRoot '..' 'infra' 'inbox-subscription.bicep') `
    --parameters functionAppName=$app systemTopicName=$env:INBOX_SYSTEM_TOPIC_NAME `
    --output none
if ($LASTEXITCODE -ne 0) { throw 'The inbox subscription could not be deployed.' }
Write-Host "Inbox subscription in place: drop images into the inbox container of $env:STORAGE_ACCOUNT_NAME."

$appId = az functionapp show @subscription -g $group -n $app --query id -o tsv
az rest --method post --url "https://management.azure.com$appId/config/configreferences/appsettings/refresh?api-version=2022-03-01" --output none
if ($LASTEXITCODE -ne 0) { throw 'The Key Vault references could not be refreshed.' }
Write-Host 'Key Vault references refreshed: GET /api/health shows whether FAL_KEY is set.'
