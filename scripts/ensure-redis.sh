#!/usr/bin/env bash
# The shared-state tests need a real redis-server; npm cannot download one here. Use REDIS_SERVER or
# Debian's package, installing it when we are root on a Debian-like system; otherwise fail loudly.
set -euo pipefail
path="${REDIS_SERVER:-/usr/bin/redis-server}"
if [ -x "$path" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "redis-server not found at $path: installing Debian's redis-server package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
  # The package starts a system service on 6379; the tests start their own servers on random ports.
  (service redis-server stop || true) >/dev/null 2>&1
  [ -x "$path" ] && exit 0
fi
echo "redis-server not found at $path. Install it (Debian/Ubuntu: apt-get install -y redis-server) or set REDIS_SERVER." >&2
exit 1
