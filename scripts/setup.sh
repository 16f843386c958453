#!/usr/bin/env bash
# Installs what the project needs on a fresh machine and is safe to run again:
# ffmpeg (Debian; the fal emulator renders real MP4s with it), Azurite and playwright-core (npm, into ./node_modules),
# and with --browser Debian's chromium (the page's browser test; playwright-core drives it and downloads nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
browser=false
[ "${1:-}" = "--browser" ] && browser=true

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (https://dot.net)" >&2
  exit 1
fi

# debian_package <command> <package> <what fails without it>: installs the package when the command is missing.
debian_package() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: installing $2 from Debian"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null) \
      || echo "setup: $2 could not be installed; $3" >&2
  else
    echo "setup: $1 not found; install it (apt-get install $2): $3" >&2
  fi
}

debian_package ffmpeg ffmpeg "the emulator will serve its committed clips instead of rendered videos"
if $browser; then
  debian_package chromium chromium "the browser test will fail"
fi

if [ ! -x node_modules/.bin/azurite ] || [ ! -d node_modules/playwright-core ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: installing Azurite and playwright-core from npm"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  else
    echo "setup: npm not found; Azurite cannot be installed" >&2
  fi
fi
