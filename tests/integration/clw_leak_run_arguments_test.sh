#!/usr/bin/env bash
# clw-leak-run's words for a command that cannot run (127 not found, 126 not executable, each one
# line of its own, never bash's "line N:"), --sample-rate in the preload's size grammar (an
# ambiguous or zero size refused with 125), and the old --rate still working with a note.
#   clw_leak_run_arguments_test.sh BUILD_DIR
set -uo pipefail
build_dir=$1
run=$build_dir/scripts/clw-leak-run
failures=0
check() {  # check DESCRIPTION EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then
    echo "ok:   $1"
  else
    echo "FAIL: $1: expected '$2', got '$3'"
    failures=$((failures + 1))
  fi
}
work=$(mktemp -d "${TMPDIR:-/tmp}/clw-leak-run-arguments.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
cd "$work" || exit 1
: >"$work/not-executable"

# expect_refusal DESCRIPTION STATUS MESSAGE ARGS...: exit status, the whole of stderr, no file.
expect_refusal() {
  local description=$1 status_expected=$2 message=$3 status=0
  shift 3
  "$run" -o "$work/out.%p.pb" "$@" >"$work/out" 2>"$work/err" || status=$?
  check "$description: exit status" "$status_expected" "$status"
  check "$description: message" "$message" "$(cat "$work/err")"
  check "$description: no snapshot file" "" "$(ls "$work" | grep '^out\..*\.pb$')"
}

expect_refusal "missing command" 127 \
  "[clw-leak-run] error: no-such-command-here: command not found on PATH" -- no-such-command-here x
expect_refusal "missing path" 127 "[clw-leak-run] error: ./missing: no such file" -- ./missing
expect_refusal "directory" 126 "[clw-leak-run] error: $work: is a directory, not a command" \
  -- "$work"
expect_refusal "not executable" 126 \
  "[clw-leak-run] error: $work/not-executable: not executable (chmod +x it, or run it through its interpreter)" \
  -- "$work/not-executable"
expect_refusal "builtin" 127 \
  "[clw-leak-run] error: cd: a shell builtin, not a program; run it as: sh -c 'cd ...'" -- cd /
expect_refusal "ambiguous sample rate" 125 \
  "[clw-leak-run] error: --sample-rate '100MB' is ambiguous: write Ki, Mi (powers of 1024) or k, M (powers of 1000)" \
  --sample-rate 100MB -- true
expect_refusal "zero sample rate" 125 \
  "[clw-leak-run] error: --sample-rate '0' is not a positive size (e.g. 1, 4096, 64Ki, 1Mi)" \
  --sample-rate=0 -- true

expect_refusal "malformed interval" 125 \
  "[clw-leak-run] error: --interval '5 years' is not a duration (e.g. 500ms, 5s, 1m)" \
  --interval "5 years" -- true
# Durations in the preload's grammar: passed through and accepted (a rejected one warns, [clwleak]).
for pair in "250ms:250000000" "1.5s:1500000000" "1m:60000000000"; do
  interval=${pair%%:*} nanos=${pair#*:} status=0
  rm -f "$work"/interval.*.pb
  "$run" --interval "$interval" -o "$work/interval.%p.pb" -- true 2>"$work/err" || status=$?
  check "--interval $interval: exit status" 0 "$status"
  check "--interval $interval: no warning" "" "$(grep '\[clwleak\]' "$work/err")"
done

# Sizes the preload accepts, recorded in the file's header (read back through the analyzer).
for pair in "64Ki:65536" "1:1" "100k:100000" "1.5Mi:1572864"; do
  rate=${pair%%:*} bytes=${pair#*:} status=0
  rm -f "$work"/rate.*.pb
  "$run" --sample-rate "$rate" -o "$work/rate.%p.pb" -- true 2>"$work/err" || status=$?
  check "--sample-rate $rate: exit status" 0 "$status"
  file=$(ls "$work"/rate.*.pb 2>/dev/null | head -1)
  recorded=$("$build_dir/bin/clw-leak-analyze" --format json "$file" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["sample_rate_bytes"])' 2>/dev/null)
  check "--sample-rate $rate: recorded rate" "$bytes" "$recorded"
done

# The old spelling still works, with one note.
status=0
"$run" --rate 1 -o "$work/old.%p.pb" -- true 2>"$work/err" || status=$?
check "--rate 1: exit status" 0 "$status"
check "--rate 1: the note" \
  "[clw-leak-run] note: --rate is now --sample-rate (mean bytes between samples); --rate still works" \
  "$(head -1 "$work/err")"
check "--rate 1: a file was written" 1 "$(ls "$work"/old.*.pb 2>/dev/null | wc -l)"

# The demo command's two rates have two names: clw-worker's requests per second.
truth=$("$build_dir/bin/clw-worker" --requests 20 --requests-per-second 100 --threads 1 \
  --progress 0 2>/dev/null)
rate=$(sed -n 's/.* request_rate=\([0-9]*\).*/\1/p' <<<"$truth")
check "clw-worker --requests-per-second 100: about 100 per second" yes \
  "$([ -n "$rate" ] && [ "$rate" -ge 60 ] && [ "$rate" -le 110 ] && echo yes || echo "no ($truth)")"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
