#!/bin/sh
# After code deploy (azd postdeploy; hooks/postdeploy.ps1 is the same for Windows): the blob extension's key exists
# now, so subscribe the inbox container's BlobCreated events to the InboxTrigger function
# (infra/inbox-subscription.bicep, with its dead-letter container), then refresh the app's Key Vault references so a
# FAL-KEY secret set after provisioning is read now rather than within 24 hours. Safe to run again.
# Needs the Azure CLI (az), signed in to the subscription the app is in. docs/deploy.md has the whole deploy path.
#
# Every az failure is reported with az's own error text. Not signed in, or not allowed: fails at once. Waiting for
# the key: retried for 5 minutes. The subscription deployment: retried for 5 minutes, since the system topic's role
# on the storage account (made by the provisioning minutes ago) can take that long to propagate.
# POSTDEPLOY_POLL_SECONDS, POSTDEPLOY_KEY_ATTEMPTS, POSTDEPLOY_RETRY_SECONDS and POSTDEPLOY_DEPLOY_ATTEMPTS change
# these waits (tests/Infra.Tests runs the hook against a stand-in az with them).
set -eu
: "${RESOURCE_GROUP:?run through azd, or export RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME and INBOX_SYSTEM_TOPIC_NAME}"
: "${AZURE_FUNCTION_APP_NAME:?}" "${INBOX_SYSTEM_TOPIC_NAME:?}"
command -v az >/dev/null 2>&1 || { echo "The post-deploy step needs the Azure CLI (az): https://aka.ms/install-azure-cli" >&2; exit 1; }

poll_seconds=${POSTDEPLOY_POLL_SECONDS:-10}
key_attempts=${POSTDEPLOY_KEY_ATTEMPTS:-30}
retry_seconds=${POSTDEPLOY_RETRY_SECONDS:-30}
deploy_attempts=${POSTDEPLOY_DEPLOY_ATTEMPTS:-10}

# azd sets AZURE_SUBSCRIPTION_ID; without it, az's default subscription is used.
set -- ${AZURE_SUBSCRIPTION_ID:+--subscription "$AZURE_SUBSCRIPTION_ID"}

err=$(mktemp)
trap 'rm -f "$err"' EXIT

# What az's error text (in $err) says: a missing or expired sign-in, or missing rights. Neither gets better by waiting.
is_sign_in_error() { grep -qiE "az login|AADSTS|expired|refresh token|InteractionRequired|not logged in" "$err"; }
# ARM's AuthorizationFailed (and LinkedAuthorizationFailed) name the signed-in account, never the topic's identity.
is_rights_error() { grep -qiE "AuthorizationFailed|does not have authorization" "$err"; }

# fail WHAT: says what failed and why, with az's own error text, and stops.
fail() {
  if is_sign_in_error; then
    echo "$1 failed: the Azure CLI is not signed in, or its sign-in has expired: sign in with az login (and az account set --subscription <id>)." >&2
  elif is_rights_error; then
    echo "$1 failed: your account lacks the rights for it (docs/deploy.md, Rights: Owner, or Contributor and User Access Administrator)." >&2
  else
    echo "$1 failed." >&2
  fi
  if [ -s "$err" ]; then
    echo "az said:" >&2
    sed 's/^/  /' "$err" >&2
  fi
  exit 1
}

# az_or_fail WHAT ARGS...: az ARGS, its output passed on; on failure, fail WHAT.
az_or_fail() {
  what=$1
  shift
  az "$@" 2>"$err" || fail "$what"
}

az_or_fail "Checking the Azure CLI's sign-in (az account show)" account show "$@" --query id -o none

echo "Waiting for the blobs_extension key of $AZURE_FUNCTION_APP_NAME..."
i=1
while :; do
  if key=$(az functionapp keys list "$@" -g "$RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query "systemKeys.blobs_extension" -o tsv 2>"$err"); then
    [ -n "$key" ] && break
    : >"$err" # az answered; the key is not there yet
  elif is_sign_in_error || is_rights_error; then
    fail "Reading the app's keys (az functionapp keys list)"
  fi
  if [ "$i" -ge "$key_attempts" ]; then
    if [ -s "$err" ]; then
      fail "Waiting for the blobs_extension key ($i attempts, $poll_seconds s apart)"
    fi
    echo "The blobs_extension key did not appear ($i attempts, $poll_seconds s apart): it exists once the app runs InboxTrigger. Is the code deployed, and did the app start (az functionapp log deployment list, Application Insights)?" >&2
    exit 1
  fi
  i=$((i + 1))
  sleep "$poll_seconds"
done

i=1
until az deployment group create "$@" -g "$RESOURCE_GROUP" -n inbox-subscription \
  --template-file "$(dirname "$0")/../infra/inbox-subscription.bicep" \
  --parameters functionAppName="$AZURE_FUNCTION_APP_NAME" systemTopicName="$INBOX_SYSTEM_TOPIC_NAME" \
  --output none 2>"$err"; do
  if is_sign_in_error || is_rights_error || [ "$i" -ge "$deploy_attempts" ]; then
    fail "Deploying the inbox subscription (infra/inbox-subscription.bicep, attempt $i of $deploy_attempts)"
  fi
  echo "Deploying the inbox subscription failed (attempt $i of $deploy_attempts); trying again in $retry_seconds s, as the system topic's role on the storage account may still be propagating. az said:" >&2
  sed 's/^/  /' "$err" >&2
  i=$((i + 1))
  sleep "$retry_seconds"
done
echo "Inbox subscription in place: drop images into the inbox container of ${STORAGE_ACCOUNT_NAME:-the storage account}."

app_id=$(az_or_fail "Reading the app's resource id (az functionapp show)" functionapp show "$@" -g "$RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query id -o tsv)
az_or_fail "Refreshing the app's Key Vault references (az rest)" rest --method post \
  --url "https://management.azure.com${app_id}/config/configreferences/appsettings/refresh?api-version=2022-03-01" --output none
echo "Key Vault references refreshed: GET /api/health shows whether FAL_KEY is set."
