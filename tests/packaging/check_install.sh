#!/usr/bin/env bash
# Packaging test: `cmake --install` of the build into a fresh prefix, then a separate project that
# finds it with find_package(clwleak), builds against the header and runs under the installed
# clw-leak-run; the installed clw-leak-analyze must find the consumer's leak. Then `cpack -G DEB`
# builds the Debian package and its contents are checked and run from an extracted copy. The man
# pages the build made (BUILD_DIR/man/pages.txt) must be installed, and render with man(1) (or groff
# when man is missing) into a page that has its sections and lists what it documents.
#   check_install.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
source_dir=$1 build_dir=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix

cmake --install "$build_dir" --prefix "$prefix" >/dev/null
for f in bin/clw-leak-analyze bin/clw-leak-run bin/clw-leak-exporter include/clwleak/clwleak.h \
         lib/cmake/clwleak/clwleakConfig.cmake share/doc/clwleak/clw-leak-analyze.md \
         share/doc/clwleak/clw-leak-exporter.md share/doc/clwleak/examples/prometheus/clwleak-rules.yml \
         share/doc/clwleak/examples/kubernetes/clw-worker-with-exporter.yaml \
         share/doc/clwleak/examples/systemd/clw-leak-exporter.service; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $f is not installed"; exit 1; }
done
ls "$prefix"/lib*/libclwleak.so >/dev/null || { echo "FAIL: libclwleak.so is not installed"; exit 1; }
version=$("$prefix/bin/clw-leak-analyze" --version)
[ "$("$prefix/bin/clw-leak-run" --version)" = "clw-leak-run ${version#clw-leak-analyze }" ] ||
  { echo "FAIL: installed clw-leak-run --version is not '$version'"; exit 1; }
[ "$("$prefix/bin/clw-leak-exporter" --version)" = "clw-leak-exporter ${version#clw-leak-analyze }" ] ||
  { echo "FAIL: installed clw-leak-exporter --version is not '$version'"; exit 1; }

# Man pages: installed, gzipped roff, and rendered with the words each must hold.
render() {  # render PAGE.gz: the page as plain text, 80 columns (man, else groff, else the roff source)
  if command -v man >/dev/null; then
    MANWIDTH=80 man -l "$1" 2>/dev/null | sed 's/.\x08//g'
  elif command -v groff >/dev/null; then
    zcat "$1" | groff -man -Tascii -P-cbou -rLL=80n 2>/dev/null
  else
    zcat "$1" | sed 's/\\-/-/g; s/\\f[BIRP]//g'
  fi
}
must_hold() {  # must_hold PAGE WORD...: each WORD is in the rendered PAGE
  local page=$1 text word
  shift
  text=$(render "$prefix/share/man/$page")
  for word in "$@"; do
    grep -qF -- "$word" <<<"$text" || { echo "FAIL: man page $page does not hold '$word'"; exit 1; }
  done
}
[ -s "$build_dir/man/pages.txt" ] || { echo "FAIL: $build_dir/man/pages.txt is missing"; exit 1; }
mapfile -t pages <"$build_dir/man/pages.txt"
for page in "${pages[@]}"; do
  [ -f "$prefix/share/man/$page" ] || { echo "FAIL: man page $page is not installed"; exit 1; }
  zcat "$prefix/share/man/$page" | grep -q '^\.TH ' || { echo "FAIL: $page is not a man page"; exit 1; }
  must_hold "$page" NAME DESCRIPTION "SEE ALSO"
done
must_hold man7/clwleak.7.gz LD_PRELOAD ENVIRONMENT CLWLEAK_OUTPUT CLWLEAK_SAMPLE_RATE CLWLEAK_INTERVAL \
  CLWLEAK_MEMORY_LIMIT CLW_MEMORY_LIMIT CLWLEAK_MAX_DEPTH CLWLEAK_UNWIND CLWLEAK_MMAP \
  CLWLEAK_REQUEST_COUNTER_FILE CLWLEAK_CHILDREN CLWLEAK_DISABLE CLWLEAK_TABLE_CAPACITY CLWLEAK_LABELS \
  "clwleak ${version#clw-leak-analyze }"
if grep -q '^man1/' "$build_dir/man/pages.txt"; then
  must_hold man1/clw-leak-analyze.1.gz SYNOPSIS OPTIONS "EXIT STATUS" EXAMPLES --fail-on-leak \
    --baseline "$version"
  must_hold man1/clw-leak-run.1.gz SYNOPSIS OPTIONS "EXIT STATUS" ENVIRONMENT --version --rate
  must_hold man1/clw-leak-exporter.1.gz SYNOPSIS OPTIONS "EXIT STATUS" --serve --watch --retention \
    clwleak_time_to_oom_seconds
  must_hold man1/clw-pyroscope-upload.1.gz SYNOPSIS --app-name --labels PYROSCOPE_PASSWORD
  echo "ok: man pages ${pages[*]} are installed and render"
else
  echo "note: help2man was missing at build time, so only clwleak(7) is installed (the build said so)"
fi

cmake -S "$source_dir/tests/packaging/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
out=$("$prefix/bin/clw-leak-run" --sample-rate 1 --interval 100ms -o "$work/consumer.pb" -- "$work/consumer/consumer" 2>"$work/run.err")
[ "$out" = "profiled=1" ] || { echo "FAIL: consumer printed '$out'"; cat "$work/run.err"; exit 1; }
"$prefix/bin/clw-leak-analyze" --format json -o "$work/report.json" "$work/consumer.pb"
python3 - "$work/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
rate = report["leak"]["bytes_per_n_requests"]
sites = [s for s in report["sites"] if s["classification"] == "leak"]
names = [f["function"] for s in sites for f in s["frames"]]
assert any("consumer_keep" in n for n in names), names
assert abs(rate - 1000 * 1000) <= 0.02 * 1000 * 1000, rate  # exact mode: 1000 B per request
print(f"ok: installed tools found the consumer's leak, {rate:.0f} B per 1000 requests")
PY

# The Debian package.
(cd "$work" && cpack -G DEB --config "$build_dir/CPackConfig.cmake" >/dev/null)
deb=$(ls "$work"/clwleak_*.deb)
info=$(dpkg-deb --info "$deb")  # not piped into grep -q: with pipefail, an early exit is a SIGPIPE
grep -q "Depends:.*libunwind" <<<"$info" || { echo "FAIL: no library dependencies in $deb"; exit 1; }
grep -q "Depends:.*libmicrohttpd" <<<"$info" ||
  { echo "FAIL: $deb does not depend on libmicrohttpd (clw-leak-exporter)"; exit 1; }
grep -q "Recommends:.*python3" <<<"$info" || { echo "FAIL: $deb does not recommend python3"; exit 1; }
dpkg-deb -x "$deb" "$work/deb"
for f in usr/bin/clw-leak-analyze usr/bin/clw-leak-run usr/bin/clw-leak-exporter usr/bin/clw-pyroscope-upload; do
  [ -x "$work/deb/$f" ] || { echo "FAIL: $f not in $deb"; exit 1; }
done
for page in "${pages[@]}"; do
  [ -f "$work/deb/usr/share/man/$page" ] || { echo "FAIL: man page $page not in $deb"; exit 1; }
done
ls "$work"/deb/usr/lib*/libclwleak.so >/dev/null
"$work/deb/usr/bin/clw-leak-analyze" --version
echo "ok: $(basename "$deb") holds the tools, the preload and its dependencies"
