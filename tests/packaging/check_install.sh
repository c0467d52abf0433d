#!/usr/bin/env bash
# Packaging test: `cmake --install` of the build into a fresh prefix, then a separate project that
# finds it with find_package(clwleak), builds against the header and runs under the installed
# clw-leak-run; the installed clw-leak-analyze must find the consumer's leak. Then `cpack -G DEB`
# builds the Debian package and its contents are checked and run from an extracted copy.
#   check_install.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
source_dir=$1 build_dir=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix

cmake --install "$build_dir" --prefix "$prefix" >/dev/null
for f in bin/clw-leak-analyze bin/clw-leak-run include/clwleak/clwleak.h \
         lib/cmake/clwleak/clwleakConfig.cmake share/doc/clwleak/clw-leak-analyze.md; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $f is not installed"; exit 1; }
done
ls "$prefix"/lib*/libclwleak.so >/dev/null || { echo "FAIL: libclwleak.so is not installed"; exit 1; }

cmake -S "$source_dir/tests/packaging/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
out=$("$prefix/bin/clw-leak-run" --rate 1 --interval 100ms -o "$work/consumer.pb" -- "$work/consumer/consumer" 2>"$work/run.err")
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
dpkg-deb -x "$deb" "$work/deb"
[ -x "$work/deb/usr/bin/clw-leak-analyze" ] || { echo "FAIL: clw-leak-analyze not in $deb"; exit 1; }
ls "$work"/deb/usr/lib*/libclwleak.so >/dev/null
"$work/deb/usr/bin/clw-leak-analyze" --version
echo "ok: $(basename "$deb") holds the tools, the preload and its dependencies"
