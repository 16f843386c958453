#!/usr/bin/env bash
# The one command that passes the tests on a fresh machine: installs what is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --browser
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# No C# line over 140 characters: the .editorconfig rule, which the compiler does not enforce.
long=$(LC_ALL=C.UTF-8 grep -rnE --include='*.cs' --exclude-dir=bin --exclude-dir=obj --exclude-dir=node_modules \
    '^.{141,}' src functions tests bench chaos | cut -d: -f1,2 || true)
if [ -n "$long" ]; then
    echo "lines over 140 characters (the .editorconfig rule):" >&2
    echo "$long" >&2
    exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The whole solution builds (the Functions app too), warnings as errors, before any test runs.
dotnet build Pipeline.sln --nologo -v quiet -clp:ErrorsOnly
status=0
dotnet test Pipeline.sln --nologo --no-build "$@" 2>&1 | tee "$log" || status=$?

# One closing line for the whole run, summed over the test assemblies.
awk '/(Passed|Failed)! +- +Failed: / {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
