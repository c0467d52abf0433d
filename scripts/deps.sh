# shellcheck shell=bash disable=SC2034  # sourced: the arrays are used by the scripts that source it
# Sourced by scripts/test and scripts/demo: installs the Debian 12 packages the build needs, and only
# those that are missing, so a fresh machine needs no other step.
clwleak_build_packages=(
  build-essential cmake pkg-config
  libunwind-dev libdw-dev libzstd-dev
  libprotobuf-dev protobuf-compiler
  libgtest-dev libbenchmark-dev
  nlohmann-json3-dev
  libmicrohttpd-dev
  python3 zstd zlib1g-dev
  help2man
  xz-utils
)

# install_missing PACKAGE...: apt-get install the packages that dpkg does not report installed.
install_missing() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "[setup] installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Programs the real-world tests (tests/realworld/) run under the preload, and the real consumers
# of the report formats: `go tool pprof` (pprof), Chromium (html), the Prometheus client's
# OpenMetrics parser (prometheus), python3-yaml (the CI examples), debootstrap (the .deb on a fresh
# Debian 12), man-db (the man pages are rendered), and the allocators a host may preload after
# libclwleak.so (jemalloc, tcmalloc, mimalloc); a JVM, ruby, cmake + make, PostgreSQL 15 with
# pgbench, nginx with ab (apache2-utils). Optional: a test whose program is missing skips
# with a message, so these are installed with install_optional.
clwleak_test_packages=(
  sqlite3 redis-server redis-tools perl git gcc nodejs
  golang-go chromium python3-prometheus-client python3-yaml debootstrap man-db
  libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0
  default-jdk-headless ruby cmake make postgresql-15 postgresql-client-15 nginx-light apache2-utils
)

# install_optional PACKAGE...: like install_missing, but never fails: a package that cannot be
# installed (no network, not in the archive) gets one warning and the caller goes on.
install_optional() {
  local pkg
  if ! (install_missing "$@") 2>/dev/null; then
    for pkg in "$@"; do
      (install_missing "$pkg") >/dev/null 2>&1 ||
        echo "[setup] warning: could not install optional package $pkg; the tests that need it skip" >&2
    done
  fi
  return 0
}

# npm fetches the HTML report's libraries when the build is configured (analyzer/web). NodeSource's
# nodejs carries its own npm; Debian's needs the npm package. Without npm the build goes on and
# `--format html` says why it is missing.
install_npm_if_missing() {
  command -v npm >/dev/null 2>&1 || install_optional nodejs npm
}
