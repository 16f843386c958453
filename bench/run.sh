#!/usr/bin/env bash
# The benchmark: ./bench/run.sh [--jobs 20] [--bursts 100,500] [--sizes 10,100,500] [--time-scale 0.5] [--polling 00:00:00.100]
# Prints the table and writes bench/results/latest.md and latest.json. It runs on an Azurite of its own, in an empty
# temporary folder on ports 10100-10102, so earlier runs' data never slows a measurement.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build bench/Pipeline.Bench -c Release --nologo -v quiet -clp:ErrorsOnly

data="$(mktemp -d)"
"$root/node_modules/.bin/azurite" --silent --disableTelemetry --skipApiVersionCheck --location "$data" \
  --blobHost 127.0.0.1 --blobPort 10100 --queueHost 127.0.0.1 --queuePort 10101 --tableHost 127.0.0.1 --tablePort 10102 \
  > "$data/azurite.log" 2>&1 &
azurite_pid=$!
trap 'kill "$azurite_pid" 2>/dev/null; wait "$azurite_pid" 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/10102) 2>/dev/null && break; sleep 0.2; done

key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export PipelineStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:10100/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10101/devstoreaccount1;TableEndpoint=http://127.0.0.1:10102/devstoreaccount1"
dotnet bench/Pipeline.Bench/bin/Release/net10.0/Pipeline.Bench.dll --output "$root/bench/results" "$@"
