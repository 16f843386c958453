#!/usr/bin/env bash
# The one command that runs the pipeline on this machine, offline:
#   ./scripts/run.sh                        serve http://localhost:7071/api, mirror inbox/ and videos/ (Ctrl-C stops)
#   ./scripts/run.sh photo.jpg [--prompt "…"] [--sidecar photo.json]   one image-to-video job, then exit
#   ./scripts/run.sh --prompt "…"           one text-to-video job, then exit (video: videos/oneshot/<stamp>-<name>.mp4,
#                                           named in the last line of stdout)
# It installs what is missing, builds, starts Azurite (data in .local/azurite) unless one already listens on 10000,
# and stops what it started, saying each step in a "run:" line (a first run installs and builds for minutes; the
# build's output is shown only when it fails). PIPELINE_HOME chooses the folder of inbox/, videos/ and events.jsonl
# (default: here); PIPELINE_AZURITE_PORT the port of that Azurite (default 10000; queue and table on the next two).
# Exit code: the host's (see README); Ctrl-C or SIGTERM stops the host first, then the Azurite it started.
set -euo pipefail
caller="$PWD"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/say.sh
export SAY_AS=run

bash scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ -f src/Pipeline.LocalHost/obj/project.assets.json ]; then
  say "building the local host (dotnet build)"
else
  say "restoring NuGet packages and building the local host (dotnet build; the first time takes a minute or two)"
fi
quietly dotnet build src/Pipeline.LocalHost --nologo -v quiet -clp:ErrorsOnly

home="$(cd "$caller" && mkdir -p "${PIPELINE_HOME:-$root}" && cd "${PIPELINE_HOME:-$root}" && pwd)"
azurite_pid=""
host_pid=""
stop_requested=false
cleanup() {
  [ -n "$host_pid" ] && kill "$host_pid" 2>/dev/null && wait "$host_pid" 2>/dev/null
  [ -n "$azurite_pid" ] && kill "$azurite_pid" 2>/dev/null && wait "$azurite_pid" 2>/dev/null
  return 0
}
# Ctrl-C or SIGTERM: the host stops in order and says how it ended (the serving host exits 0, a one-shot 130), then
# Azurite. Both run in sessions of their own, so the terminal's SIGINT reaches neither: Azurite ended at once (the host
# then logged storage warnings while it let go of its task hub) and the emulator's ffmpeg renders failed.
stop() {
  stop_requested=true
  if [ -n "$host_pid" ]; then
    kill -TERM "$host_pid" 2>/dev/null || true
  else
    exit 130 # nothing served yet: interrupted while installing, building or starting Azurite
  fi
}
trap cleanup EXIT
trap stop INT TERM

. "$root/scripts/azurite.sh"
ensure_azurite "$home"

cd "$caller" # so that the one-shot's file arguments are read where the caller gave them
say "starting the local host (src/Pipeline.LocalHost; its log follows)"
PIPELINE_HOME="$home" $(command -v setsid || true) dotnet "$root/src/Pipeline.LocalHost/bin/Debug/net10.0/Pipeline.LocalHost.dll" "$@" &
host_pid=$!
status=0
while :; do
  wait "$host_pid" && status=0 || status=$?
  kill -0 "$host_pid" 2>/dev/null || break # else the wait was cut short by Ctrl-C or SIGTERM: wait for the host's end
done
host_pid=""
# 143: the stop came before .NET listened for it, and the kernel ended the host; that too is an interrupted run.
if $stop_requested && [ "$status" = 143 ]; then
  status=130
fi
exit "$status"
