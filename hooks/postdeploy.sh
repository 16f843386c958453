#!/bin/sh
# After code deploy (azd postdeploy; hooks/postdeploy.ps1 is the same for Windows): the blob extension's key exists
# now, so subscribe the inbox container's BlobCreated events to the InboxTrigger function
# (infra/inbox-subscription.bicep, with its dead-letter container), then refresh the app's Key Vault references so a
# FAL-KEY secret set after provisioning is read now rather than within 24 hours. Safe to run again.
# Needs the Azure CLI (az), signed in to the subscription the app is in.
set -eu
: "${RESOURCE_GROUP:?run through azd, or export RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME and INBOX_SYSTEM_TOPIC_NAME}"
: "${AZURE_FUNCTION_APP_NAME:?}" "${INBOX_SYSTEM_TOPIC_NAME:?}"
command -v az >/dev/null 2>&1 || { echo "The post-deploy step needs the Azure CLI (az): https://aka.ms/install-azure-cli" >&2; exit 1; }

# azd sets AZURE_SUBSCRIPTION_ID; without it, az's default subscription is used.
set -- ${AZURE_SUBSCRIPTION_ID:+--subscription "$AZURE_SUBSCRIPTION_ID"}

echo "Waiting for the blobs_extension key of $AZURE_FUNCTION_APP_NAME..."
i=0
until [ -n "$(az functionapp keys list "$@" -g "$RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query "systemKeys.blobs_extension" -o tsv 2>/dev/null)" ]; do
  i=$((i + 1))
  [ "$i" -gt 30 ] && { echo "The key did not appear within 5 minutes; is InboxTrigger deployed?" >&2; exit 1; }
  sleep 10
done

az deployment group create "$@" -g "$RESOURCE_GROUP" -n inbox-subscription \
  --template-file "$(dirname "$0")/../infra/inbox-subscription.bicep" \
  --parameters functionAppName="$AZURE_FUNCTION_APP_NAME" systemTopicName="$INBOX_SYSTEM_TOPIC_NAME" \
  --output none
echo "Inbox subscription in place: drop images into the inbox container of ${STORAGE_ACCOUNT_NAME:-the storage account}."

app_id=$(az functionapp show "$@" -g "$RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query id -o tsv)
az rest --method post --url "https://management.azure.com${app_id}/config/configreferences/appsettings/refresh?api-version=2022-03-01" --output none
echo "Key Vault references refreshed: GET /api/health shows whether FAL_KEY is set."
