#!/usr/bin/env bash
# The chaos audit: ./chaos/run.sh [--jobs 200] [--kills 20] [--seed 7] [--time-scale 0.05]
# Prints the table, writes chaos/results/latest.md and exits non-zero on any violation. It runs on an Azurite of its
# own, in an empty temporary folder on ports 10200-10202.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build chaos/Pipeline.Chaos -c Release --nologo -v quiet -clp:ErrorsOnly

data="$(mktemp -d)"
"$root/node_modules/.bin/azurite" --silent --disableTelemetry --skipApiVersionCheck --location "$data" \
  --blobHost 127.0.0.1 --blobPort 10200 --queueHost 127.0.0.1 --queuePort 10201 --tableHost 127.0.0.1 --tablePort 10202 \
  > "$data/azurite.log" 2>&1 &
azurite_pid=$!
trap 'kill "$azurite_pid" 2>/dev/null; wait "$azurite_pid" 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/10202) 2>/dev/null && break; sleep 0.2; done

key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export PipelineStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:10200/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10201/devstoreaccount1;TableEndpoint=http://127.0.0.1:10202/devstoreaccount1"
dotnet chaos/Pipeline.Chaos/bin/Release/net10.0/Pipeline.Chaos.dll --output "$root/chaos/results" "$@"
