#!/usr/bin/env bash
# Installs what the project needs on a fresh machine and is safe to run again:
# ffmpeg (Debian; the fal emulator renders real MP4s with it), Azurite and playwright-core (npm, into ./node_modules),
# and with --browser Debian's chromium (the page's browser test; playwright-core drives it and downloads nothing).
# It says a line before each install (prefixed SAY_AS, e.g. "run:" when run.sh calls it) and shows an installer's
# output only when it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/say.sh
browser=false
[ "${1:-}" = "--browser" ] && browser=true

if ! command -v dotnet >/dev/null 2>&1; then
  say "the .NET 10 SDK is required (https://dot.net)" >&2
  exit 1
fi

# debian_package <command> <package> <what fails without it>: installs the package when the command is missing.
debian_package() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "installing $2 from Debian"
    (quietly apt-get update -qq && quietly env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2") \
      || say "$2 could not be installed; $3" >&2
  else
    say "$1 not found; install it (apt-get install $2): $3" >&2
  fi
}

debian_package ffmpeg ffmpeg "the emulator will serve its committed clips instead of rendered videos"
if $browser; then
  debian_package chromium chromium "the browser test will fail"
fi

if [ ! -x node_modules/.bin/azurite ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/standardwebhooks ] || [ ! -d node_modules/openapi-typescript ]; then
  if command -v npm >/dev/null 2>&1; then
    say "installing the npm packages (Azurite, playwright-core, standardwebhooks, the client generator) into node_modules/"
    quietly env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  else
    say "npm not found; Azurite cannot be installed" >&2
  fi
fi
