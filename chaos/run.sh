#!/usr/bin/env bash
# The chaos audit: ./chaos/run.sh [--jobs 200] [--kills 20] [--seed 7] [--time-scale 0.05]
#   [--outages fal,files,eventgrid,storage] [--outage-length 00:05:00] [--outage-mode refuse|503|alternate]
# Prints the table, writes chaos/results/latest.md (latest-outages.md with outages) and exits non-zero on any
# violation. It runs on an Azurite of its own, in an empty temporary folder on ports 10200-10202 (CHAOS_AZURITE_PORT
# moves them, for two runs at once).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build chaos/Pipeline.Chaos -c Release --nologo -v quiet -clp:ErrorsOnly

source scripts/azurite.sh
private_azurite "${CHAOS_AZURITE_PORT:-10200}"
trap stop_private_azurite EXIT
dotnet chaos/Pipeline.Chaos/bin/Release/net10.0/Pipeline.Chaos.dll --output "$root/chaos/results" "$@"
