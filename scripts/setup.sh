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

if ! command -v ffmpeg >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: installing ffmpeg from Debian"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null) \
      || echo "setup: ffmpeg could not be installed; the emulator will serve its committed clips" >&2
  else
    echo "setup: ffmpeg not found; install it (apt-get install ffmpeg) for rendered videos" >&2
  fi
fi

if $browser && ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: installing chromium from Debian"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "setup: chromium could not be installed; the browser test will fail" >&2
  else
    echo "setup: chromium not found; install it (apt-get install chromium) for the browser test" >&2
  fi
fi

if [ ! -x node_modules/.bin/azurite ] || [ ! -d node_modules/playwright-core ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: installing Azurite and playwright-core from npm"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  else
    echo "setup: npm not found; Azurite cannot be installed" >&2
  fi
fi
