# Sourced by run.sh, bench/run.sh and chaos/run.sh. ensure_azurite: start Azurite (data under $1/.local/azurite) unless one listens on
# PIPELINE_AZURITE_PORT (10000), or PipelineStorage points elsewhere. Sets azurite_pid when it started one; the caller stops it.
. "$root/scripts/say.sh"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_azurite() {
  azurite_pid=""
  local port="${PIPELINE_AZURITE_PORT:-10000}"
  if [ -n "${PipelineStorage:-}" ]; then
    say "using the storage in PipelineStorage (no Azurite started)"
    return 0
  fi
  # The host's default storage is Azurite on 10000; on other ports, it is told.
  [ "$port" = 10000 ] || export PipelineStorage="$(azurite_connection_string "$port")"
  if listening "$port"; then
    say "using the Azurite that already listens on port $port"
    return 0
  fi
  mkdir -p "$1/.local/azurite"
  say "starting Azurite (data in $1/.local/azurite)"
  # A session of its own: Ctrl-C in the terminal does not reach it; run.sh stops it once the host has let go of it.
  $(command -v setsid || true) "$root/node_modules/.bin/azurite" --silent --disableTelemetry --skipApiVersionCheck \
    --location "$1/.local/azurite" --blobHost 127.0.0.1 --blobPort "$port" --queueHost 127.0.0.1 --queuePort "$((port + 1))" \
    --tableHost 127.0.0.1 --tablePort "$((port + 2))" > "$1/.local/azurite.log" 2>&1 &
  azurite_pid=$!
  for _ in $(seq 1 100); do
    listening "$port" && listening "$((port + 1))" && listening "$((port + 2))" && return 0
    sleep 0.2
  done
  say "Azurite did not start; see $1/.local/azurite.log" >&2
  return 1
}

# azurite_connection_string <first port>: the development account on that port (blob) and the next two (queue, table).
azurite_connection_string() {
  local key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
  local account="http://127.0.0.1:%s/devstoreaccount1"
  # shellcheck disable=SC2059 # the account's URL is the format, each port its argument
  printf "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=$account;QueueEndpoint=$account;"\
"TableEndpoint=$account\n" "$1" "$(($1 + 1))" "$(($1 + 2))"
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
  PipelineStorage="$(azurite_connection_string "$1")"
  export PipelineStorage
}

stop_private_azurite() {
  kill "$azurite_pid" 2>/dev/null
  wait "$azurite_pid" 2>/dev/null
  rm -rf "$azurite_data"
}
