#!/usr/bin/env bash
# clw-leak-run --version and --help: the build tree's copy (the version substituted by CMake, as in
# an install) and the source tree's copy (which asks the clw-leak-analyze beside it or on PATH)
# print "clw-leak-run VERSION", the project's version, the same as clw-leak-analyze --version.
#   clw_leak_run_version_test.sh SOURCE_DIR BUILD_DIR PROJECT_VERSION
set -euo pipefail
source_dir=$1 build_dir=$2 version=$3
failures=0
check() {  # check DESCRIPTION EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then
    echo "ok:   $1"
  else
    echo "FAIL: $1: expected '$2', got '$3'"
    failures=$((failures + 1))
  fi
}

analyzer_version=$("$build_dir/bin/clw-leak-analyze" --version)
check "clw-leak-analyze --version" "clw-leak-analyze $version" "$analyzer_version"
check "build tree's clw-leak-run --version" "clw-leak-run $version" \
  "$("$build_dir/scripts/clw-leak-run" --version)"
check "source tree's clw-leak-run --version (from the analyzer on PATH)" "clw-leak-run $version" \
  "$(PATH="$build_dir/bin:$PATH" "$source_dir/scripts/clw-leak-run" --version)"

# Without any analyzer to ask, the source copy says why instead of printing a wrong version.
status=0
err=$(env -i PATH=/usr/bin:/bin bash "$source_dir/scripts/clw-leak-run" --version 2>&1 >/dev/null) ||
  status=$?
if [ -x "$source_dir/build/bin/clw-leak-analyze" ]; then
  echo "skip: $source_dir/build/bin/clw-leak-analyze exists, so the source copy finds a version"
else
  check "source copy without an analyzer: exit status" 125 "$status"
  check "source copy without an analyzer: message" 1 "$(grep -c 'version unknown' <<<"$err" || true)"
fi

# --version is an option like the others: it wins over a command and runs nothing.
marker=$(mktemp -u)
check "--version runs no command" "clw-leak-run $version" \
  "$("$build_dir/scripts/clw-leak-run" --version -- touch "$marker")"
check "--version created nothing" "absent" "$([ -e "$marker" ] && echo present || echo absent)"

help=$("$build_dir/scripts/clw-leak-run" --help)
check "--help starts with the usage line" "Usage: clw-leak-run [OPTIONS] [--] COMMAND [ARGS...]" \
  "$(head -1 <<<"$help")"
check "--help lists --version" 1 "$(grep -c '^  --version' <<<"$help" || true)"
check "--help exit status" 0 "$("$build_dir/scripts/clw-leak-run" --help >/dev/null; echo $?)"

# The Pyroscope uploader carries the same version.
check "clw-pyroscope-upload --version" "clw-pyroscope-upload $version" \
  "$("$build_dir/scripts/clw-pyroscope-upload" --version)"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
