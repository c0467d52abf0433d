#!/usr/bin/env bash
# clw-leak-run's two ends: an output path that cannot be created stops it before the command runs
# (exit 125, the path named), and a command that replaces itself by exec several times ends in one
# line naming the file of its last image and how many other files the run wrote.
#   clw_leak_run_endings_test.sh BUILD_DIR EXEC_CHAIN_PROGRAM
set -uo pipefail
build_dir=$1 exec_chain=$2
run=$build_dir/scripts/clw-leak-run
analyze=$build_dir/bin/clw-leak-analyze
failures=0
check() {  # check DESCRIPTION EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then
    echo "ok:   $1"
  else
    echo "FAIL: $1: expected '$2', got '$3'"
    failures=$((failures + 1))
  fi
}
work=$(mktemp -d "${TMPDIR:-/tmp}/clw-leak-run-endings.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

# 1. A directory that does not exist, and one that is a file: the command never starts.
for output in "$work/missing/dir/x.pb" "$work/a-file/x.%p.pb"; do
  : >"$work/a-file"
  status=0
  out=$("$run" -o "$output" -- sh -c 'echo the command ran' 2>"$work/err") || status=$?
  check "unwritable $output: exit status" 125 "$status"
  check "unwritable $output: the command did not run" "" "$out"
  grep -qF "$output" "$work/err" && named=yes || named=no
  check "unwritable $output: the message names the path" yes "$named"
  rm -f "$work/a-file"
done

# 2. dash -> env -> exec_chain -> exec_chain --after: four images of one process.
mkdir "$work/chain"
status=0
"$run" --rate 1 -o "$work/chain/%e.%p.pb" -- sh -c "exec env '$exec_chain' execve" \
  >"$work/out" 2>"$work/err" || status=$?
check "exec chain: exit status" 0 "$status"
check "exec chain: files written" 4 "$(find "$work/chain" -type f | wc -l)"
lines=$(grep -c '^\[clw-leak-run\] snapshots: ' "$work/err")
check "exec chain: one snapshots line" 1 "$lines"
line=$(grep '^\[clw-leak-run\] snapshots: ' "$work/err")
named=$(echo "$line" | sed 's/^\[clw-leak-run\] snapshots: \([^ ]*\).*/\1/')
check "exec chain: the line counts the other files" yes \
  "$(echo "$line" | grep -q '(+3 other files' && echo yes || echo no)"
# The named file is the last image's: exec_chain --after, which did not exec again.
report=$("$analyze" "$named" 2>&1)
check "exec chain: the named file is exec_chain's" yes \
  "$(echo "$report" | grep -q 'process: .*/exec_chain' && echo yes || echo no)"
check "exec chain: the named file ended by exit, not by exec" yes \
  "$(echo "$report" | grep -q 'complete: *true (ended cleanly' && echo yes || echo no)"
# Every other file ended by exec and says where it continues.
report=$("$analyze" "$work/chain"/* 2>&1)
check "exec chain: three files replaced by exec, each continuing in the next" 3 \
  "$(echo "$report" | grep -c 'replaced by exec of .* (continues in ')"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
