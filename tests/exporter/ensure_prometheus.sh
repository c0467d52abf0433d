#!/usr/bin/env bash
# Installs Debian 12's prometheus package (the `prometheus` server and `promtool`) when either is
# missing, for the exporter's tests. The package enables a service that listens on 0.0.0.0:9090:
# it is kept from starting during the install (policy-rc.d, only when none exists) and stopped and
# disabled afterwards where systemd runs; the tests start their own server on 127.0.0.1 with a
# temporary configuration and data directory. Serialized with flock: ctest may run tests at once.
set -euo pipefail
sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)
exec 9>"${TMPDIR:-/tmp}/clwleak-ensure-prometheus.lock"
flock 9
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  echo "[setup] installing prometheus (Debian package) for the exporter's tests" >&2
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  status=0
  { "${sudo[@]}" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
      prometheus; } >&2 || status=$?
  [ "$created_policy" -eq 1 ] && "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
  [ "$status" -eq 0 ] || exit "$status"
fi
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  "${sudo[@]}" systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
