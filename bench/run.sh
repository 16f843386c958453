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

source scripts/azurite.sh
private_azurite 10100
trap stop_private_azurite EXIT
AZURITE_PID="$azurite_pid" dotnet bench/Pipeline.Bench/bin/Release/net10.0/Pipeline.Bench.dll --output "$root/bench/results" "$@"
