#!/usr/bin/env bash
# Browser tests need a real Chromium; none can be downloaded by npm here. Use CHROMIUM_PATH or
# Debian's package, installing it when we are root on a Debian-like system; otherwise fail loudly.
set -euo pipefail
path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$path" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium not found at $path: installing Debian's chromium package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  [ -x "$path" ] && exit 0
fi
echo "Chromium not found at $path. Install it (Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_PATH." >&2
exit 1
