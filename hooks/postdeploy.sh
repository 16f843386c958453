#!/bin/sh
# After code deploy (azd postdeploy): the blob extension's key now exists, so subscribe the inbox container's
# BlobCreated events to the InboxTrigger function (infra/inbox-subscription.bicep). Safe to run again.
set -eu
: "${RESOURCE_GROUP:?run through azd, or export RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME and INBOX_SYSTEM_TOPIC_NAME}"

echo "Waiting for the blobs_extension key of $AZURE_FUNCTION_APP_NAME..."
i=0
until [ -n "$(az functionapp keys list -g "$RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query "systemKeys.blobs_extension" -o tsv 2>/dev/null)" ]; do
  i=$((i + 1))
  [ "$i" -gt 30 ] && { echo "The key did not appear; is InboxTrigger deployed?" >&2; exit 1; }
  sleep 10
done

az deployment group create -g "$RESOURCE_GROUP" -n inbox-subscription \
  --template-file "$(dirname "$0")/../infra/inbox-subscription.bicep" \
  --parameters functionAppName="$AZURE_FUNCTION_APP_NAME" systemTopicName="$INBOX_SYSTEM_TOPIC_NAME" \
  --output none
echo "Inbox subscription in place: drop images into the inbox container of $STORAGE_ACCOUNT_NAME."
