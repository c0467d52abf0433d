#!/usr/bin/env bash
# The .deb on a fresh Debian 12: a minimal bookworm root made with debootstrap (--variant=minbase,
# from the host's own apt mirror), where `apt-get install ./clwleak_*.deb` must pull in every
# library the package needs from its declared Depends (cmake/Packaging.cmake: dpkg-shlibdeps) and
# nothing else; then, inside that root, a leaking program runs under the installed clw-leak-run and
# the installed clw-leak-analyze must name its leaking function and measure its leak; the man pages
# must be installed and `man` (installed afterwards, so that it cannot mask a missing dependency)
# must show them.
#
#   check_deb_debootstrap.sh BUILD_DIR WORK_DIR LEAKY_PROGRAM
#
# LEAKY_PROGRAM is tests/integration/programs/ci_unit_tests.c built on the host (dynamically linked
# to libc only, which the root has): 300 requests, 2000 bytes lost per request in ci_fixture_leak.
#
# The root is made once and cached as a tarball, with the downloaded .debs beside it, under
# $CLWLEAK_DEBOOTSTRAP_CACHE (default /var/cache/clwleak-tests), so that a repeated run only
# unpacks it and installs; a tarball older than 30 days is made again. Needs root (debootstrap,
# chroot, mount) and the mirror (network); without them it exits 77, which ctest reports as
# skipped, after saying why. $CLWLEAK_DEBIAN_MIRROR overrides the mirror.
# shellcheck disable=SC2016  # dpkg-query's ${Package} and ${Status} are its formats, not the shell's
set -euo pipefail
build_dir=$1 work=$2 leaky=$3
suite=bookworm
cache=${CLWLEAK_DEBOOTSTRAP_CACHE:-/var/cache/clwleak-tests}
start=$SECONDS
elapsed() { echo "$((SECONDS - start))s"; }
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

# --- can this machine do it? ------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot and mount); run ctest as root"
for tool in debootstrap chroot mount cpack dpkg-deb; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (debootstrap: Debian package debootstrap)"
done

# The host's Debian mirror: deb822 sources (URIs:) or the one-line format (deb URL SUITE ...).
mirror=${CLWLEAK_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  for sources in /etc/apt/sources.list.d/*.sources; do
    [ -f "$sources" ] || continue
    mirror=$(awk '/^URIs:/ {uri=$2} /^Suites:/ && / '"$suite"'( |$)/ && uri !~ /security/ {print uri; exit}' \
      "$sources")
    [ -n "$mirror" ] && break
  done
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $3 == "'"$suite"'" {print $2; exit}' /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}
release_url="${mirror%/}/dists/$suite/Release"
if command -v curl >/dev/null; then
  curl -fsS --max-time 20 -o /dev/null "$release_url" 2>/dev/null ||
    skip "the Debian mirror $mirror cannot be reached ($release_url); no network?"
else
  python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=20)" \
    "$release_url" 2>/dev/null || skip "the Debian mirror $mirror cannot be reached; no network?"
fi

arch=$(dpkg --print-architecture)
tarball=$cache/$suite-minbase-$arch.tar.gz
archives=$cache/apt-archives-$suite-$arch  # the .debs apt downloads, kept between runs
mkdir -p "$cache" "$archives/partial"
rm -rf "$work" && mkdir -p "$work"
root=$work/root

# Everything mounted inside the root is unmounted on every exit, before the root is deleted.
mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
  if [ "${CLWLEAK_KEEP_ROOT:-0}" != 1 ]; then rm -rf "$root"; fi
}
trap cleanup EXIT
mount_in_root() {  # mount_in_root TARGET MOUNT-ARGS...
  mkdir -p "$root/$1"
  mount "${@:2}" "$root/$1"
  mounts+=("$root/$1")
}

# --- the fresh Debian 12 root (cached) ---------------------------------------------------------------
exec 9>"$cache/.lock"
flock 9  # one maker of the tarball at a time; the others wait and use it
if [ -f "$tarball" ] && [ -z "$(find "$tarball" -mtime +30)" ]; then
  echo "[deb-test] fresh $suite root from the cache: $tarball"
else
  echo "[deb-test] debootstrap --variant=minbase $suite from $mirror (cached afterwards in $cache)"
  made=$work/debootstrap
  mkdir -p "$made"
  if ! debootstrap --variant=minbase --arch="$arch" "$suite" "$made" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -20 "$work/debootstrap.log"
    rm -rf "$made"
    fail "debootstrap failed (log: $work/debootstrap.log)"
  fi
  rm -rf "$made/var/cache/apt/archives/"*.deb
  tar --numeric-owner -C "$made" -czf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$made"
  echo "[deb-test] root made and cached after $(elapsed)"
fi
flock -u 9
mkdir -p "$root"
tar --numeric-owner -C "$root" -xzf "$tarball"
mount_in_root proc -t proc proc
mount_in_root dev --bind /dev
mount_in_root var/cache/apt/archives --bind "$archives"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
echo "[deb-test] root ready after $(elapsed)"

in_root() {  # in_root COMMAND...: runs in the root with a clean environment
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# --- the package ---------------------------------------------------------------------------------------
(cd "$work" && cpack -G DEB --config "$build_dir/CPackConfig.cmake" >/dev/null 2>&1) ||
  fail "cpack could not build the .deb from $build_dir"
deb=$(ls "$work"/clwleak_*.deb)
mkdir -p "$root/tmp/clwleak-test"
cp "$deb" "$leaky" "$root/tmp/clwleak-test/"
deb_in_root=/tmp/clwleak-test/$(basename "$deb")
leaky_in_root=/tmp/clwleak-test/$(basename "$leaky")

in_root apt-get update -qq >"$work/apt-update.log" 2>&1 || { cat "$work/apt-update.log"; fail "apt-get update failed in the root"; }
echo "[deb-test] apt-get update done after $(elapsed)"
# The root is thrown away: dpkg need not fsync every file it unpacks.
echo 'DPkg::Options { "--force-unsafe-io"; };' >"$root/etc/apt/apt.conf.d/99clwleak-test-unsafe-io"
# Nothing of clwleak's libraries is in a minbase root: apt must find them from Depends alone.
before=$(in_root dpkg-query -W -f='${Package}\n' | sort)
if ! in_root apt-get install -y -q "$deb_in_root" >"$work/apt-install.log" 2>&1; then
  tail -30 "$work/apt-install.log"
  fail "apt-get install $(basename "$deb") failed on a fresh Debian 12 (log: $work/apt-install.log)"
fi
added=$(comm -13 <(echo "$before") <(in_root dpkg-query -W -f='${Package}\n' | sort) | tr '\n' ' ')
echo "[deb-test] installed $(basename "$deb") with: $added($(elapsed))"
status=$(in_root dpkg-query -W -f='${Status}' clwleak)
[ "$status" = "install ok installed" ] || fail "clwleak is '$status' after apt-get install"
# Every package the .deb declares is installed now; those a minbase root lacks came with it.
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/^ *([^ (]+).*/\1/')
for dependency in $depends; do
  [ "$(in_root dpkg-query -W -f='${Status}' "$dependency" 2>/dev/null)" = "install ok installed" ] ||
    fail "$dependency (Depends of $(basename "$deb")) is not installed in the root"
done
for dependency in libunwind8 libprotobuf-lite32 libdw1 python3; do
  grep -qw -- "$dependency" <<<"$added" ||
    fail "$dependency was not installed by apt-get install of the .deb (Depends/Recommends)"
done
in_root ldd /usr/lib/libclwleak.so /usr/bin/clw-leak-analyze >"$work/ldd.txt"
if grep "not found" "$work/ldd.txt"; then fail "libraries missing in the root"; fi

# --- a leaking program under the installed tools ------------------------------------------------------
out=$(in_root env CLWLEAK_INTERVAL=100ms CLWLEAK_MEMORY_LIMIT=1Gi clw-leak-run --sample-rate 1 \
  -o /tmp/clwleak-test/leaky.pb -- "$leaky_in_root" 2>"$work/run.err") ||
  { cat "$work/run.err"; fail "clw-leak-run failed in the root"; }
grep -q "profiled=1" <<<"$out" || { cat "$work/run.err"; fail "the program was not profiled: '$out'"; }
grep -q "\[clw-leak-run\] snapshots: /tmp/clwleak-test/leaky.pb" "$work/run.err" ||
  { cat "$work/run.err"; fail "clw-leak-run did not list the snapshot"; }
in_root clw-leak-analyze --format json -o /tmp/clwleak-test/report.json /tmp/clwleak-test/leaky.pb
python3 - "$root/tmp/clwleak-test/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
leaks = [s for s in report["sites"] if s["classification"] == "leak"]
top = leaks[0]["frames"][0]["function"] if leaks and leaks[0]["frames"] else None
rate = report["leak"]["bytes_per_n_requests"]
assert top == "ci_fixture_leak", f"the leaking site is {top}, not ci_fixture_leak"
assert abs(rate - 2000 * 1000) <= 0.02 * 2000 * 1000, f"{rate} B per 1000 requests, not 2,000,000"
assert report["time_to_oom_s"] and report["memory"]["limit_source"] == "CLWLEAK_MEMORY_LIMIT", report["memory"]
print(f"[deb-test] clw-leak-analyze in the root: {top} leaks {rate:.0f} B per 1000 requests")
PY
gate=0
in_root clw-leak-analyze --fail-on-leak 64KiB /tmp/clwleak-test/leaky.pb >/dev/null 2>"$work/gate.err" || gate=$?
if [ "$gate" -ne 1 ] || ! grep -q "gate failed: --fail-on-leak" "$work/gate.err"; then
  fail "--fail-on-leak 64KiB exited $gate in the root, not 1: $(cat "$work/gate.err")"
fi
in_root clw-pyroscope-upload --version | grep -q "^clw-pyroscope-upload [0-9]" ||
  fail "clw-pyroscope-upload does not run in the root (python3 recommended?)"

# --- man pages ---------------------------------------------------------------------------------------
for page in "$build_dir"/man/*.gz; do
  name=$(basename "$page")
  found=$(in_root find /usr/share/man -name "$name")
  [ -n "$found" ] || fail "man page $name is not installed by the .deb"
done
if ! in_root apt-get install -y -q --no-install-recommends man-db >"$work/apt-man.log" 2>&1; then
  tail -20 "$work/apt-man.log"
  fail "apt-get install man-db failed in the root"
fi
clwleak7=$(in_root env MANWIDTH=80 man 7 clwleak 2>/dev/null | sed 's/.\x08//g')
grep -q "CLWLEAK_SAMPLE_RATE" <<<"$clwleak7" || fail "'man 7 clwleak' does not show CLWLEAK_SAMPLE_RATE"
if ls "$build_dir"/man/clw-leak-run.1.gz >/dev/null 2>&1; then
  run1=$(in_root env MANWIDTH=80 man clw-leak-run 2>/dev/null | sed 's/.\x08//g')
  grep -q -- "--version" <<<"$run1" || fail "'man clw-leak-run' does not show --version"
fi
echo "[deb-test] man pages installed and shown by man in the root"
echo "ok: $(basename "$deb") installs on a fresh Debian 12 with its dependencies and works there ($(elapsed) in all)"
