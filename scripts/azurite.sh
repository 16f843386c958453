# Sourced by run.sh, bench/run.sh and chaos/run.sh. ensure_azurite: start Azurite (data under $1/.local/azurite) unless one listens on 10000, or
# PipelineStorage points elsewhere. Sets azurite_pid when it started one; the caller stops it.
. "$root/scripts/say.sh"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_azurite() {
  azurite_pid=""
  if [ -n "${PipelineStorage:-}" ]; then
    say "using the storage in PipelineStorage (no Azurite started)"
    return 0
  fi
  if listening 10000; then
    say "using the Azurite that already listens on port 10000"
    return 0
  fi
  mkdir -p "$1/.local/azurite"
  say "starting Azurite (data in $1/.local/azurite)"
  "$root/node_modules/.bin/azurite" --silent --disableTelemetry --skipApiVersionCheck --location "$1/.local/azurite" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 > "$1/.local/azurite.log" 2>&1 &
  azurite_pid=$!
  for _ in $(seq 1 100); do
    listening 10000 && listening 10001 && listening 10002 && return 0
    sleep 0.2
  done
  say "Azurite did not start; see $1/.local/azurite.log" >&2
  return 1
}

# private_azurite <first port>: an Azurite of its own, in an empty temporary folder, on that port and the next two, for
# the benchmark and the chaos audit (their figures must not depend on earlier data). Exports PipelineStorage for it and
# sets azurite_pid and azurite_data; the caller stops it (stop_private_azurite).
private_azurite() {
  azurite_data="$(mktemp -d)"
  "$root/node_modules/.bin/azurite" --silent --disableTelemetry --skipApiVersionCheck --location "$azurite_data" \
    --blobHost 127.0.0.1 --blobPort "$1" --queueHost 127.0.0.1 --queuePort "$(($1 + 1))" --tableHost 127.0.0.1 --tablePort "$(($1 + 2))" \
    > "$azurite_data/azurite.log" 2>&1 &
  azurite_pid=$!
  for _ in $(seq 1 100); do listening "$(($1 + 2))" && break; sleep 0.2; done
  local key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
  export PipelineStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$1/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$(($1 + 1))/devstoreaccount1;TableEndpoint=http://127.0.0.1:$(($1 + 2))/devstoreaccount1"
}

stop_private_azurite() {
  kill "$azurite_pid" 2>/dev/null
  wait "$azurite_pid" 2>/dev/null
  rm -rf "$azurite_data"
}
