# Sourced by run.sh and bench/run.sh: start Azurite (data under $1/.local/azurite) unless one listens on 10000, or
# PipelineStorage points elsewhere. Sets azurite_pid when it started one; the caller stops it.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_azurite() {
  azurite_pid=""
  if [ -n "${PipelineStorage:-}" ] || listening 10000; then
    return 0
  fi
  mkdir -p "$1/.local/azurite"
  echo "starting Azurite (data in $1/.local/azurite)"
  "$root/node_modules/.bin/azurite" --silent --disableTelemetry --skipApiVersionCheck --location "$1/.local/azurite" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 > "$1/.local/azurite.log" 2>&1 &
  azurite_pid=$!
  for _ in $(seq 1 100); do
    listening 10000 && listening 10001 && listening 10002 && return 0
    sleep 0.2
  done
  echo "Azurite did not start; see $1/.local/azurite.log" >&2
  return 1
}
