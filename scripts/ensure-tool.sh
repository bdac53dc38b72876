#!/usr/bin/env bash
# Usage: ensure-tool.sh PACKAGE DEFAULT_PATH ENV_VAR
# Tests need real programs that npm cannot download here (Chromium for the browser runs, redis-server for
# shared state). Use $ENV_VAR or DEFAULT_PATH; install Debian's PACKAGE when we are root on a Debian-like
# system; otherwise fail loudly: a program that cannot start fails the run, it is never skipped.
set -euo pipefail
package="$1" default="$2" variable="$3"
path="${!variable:-$default}"
if [ -x "$path" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "$package not found at $path: installing Debian's $package package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "$package" >/dev/null
  # redis-server's package starts a system service on 6379; the tests start their own on random ports.
  if [ "$package" = "redis-server" ]; then (service redis-server stop || true) >/dev/null 2>&1; fi
  [ -x "$path" ] && exit 0
fi
echo "$package not found at $path. Install it (Debian/Ubuntu: apt-get install -y $package) or set $variable." >&2
exit 1
