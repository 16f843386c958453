# Sourced by the scripts: short progress lines, and long commands that stay quiet unless they fail.

# say <text>: one line, prefixed with the command the person ran (SAY_AS, e.g. run; default: this script's name),
# so that a first run that installs and builds for minutes says what it is doing.
say() { echo "${SAY_AS:-$(basename "$0" .sh)}: $*"; }

# quietly <command…>: runs the command with its output kept aside; only when it fails is that output shown (on stderr),
# and the failure returned.
quietly() {
  local log status=0
  log="$(mktemp)"
  "$@" >"$log" 2>&1 || status=$?
  [ "$status" = 0 ] || cat "$log" >&2
  rm -f "$log"
  return "$status"
}
