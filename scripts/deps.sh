# Sourced by scripts/test and scripts/demo: installs the Debian 12 packages the build needs, and only
# those that are missing, so a fresh machine needs no other step.
clwleak_build_packages=(
  build-essential cmake pkg-config
  libunwind-dev libboost-stacktrace-dev libzstd-dev
  libprotobuf-dev protobuf-compiler
  libgtest-dev libbenchmark-dev
  nlohmann-json3-dev
  python3 zstd
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
