#!/usr/bin/env python3
"""`clw-leak-analyze --format prometheus` read by a real OpenMetrics parser: the Prometheus Python
client's prometheus_client.openmetrics.parser (Debian's python3-prometheus-client), which rejects
anything that is not valid OpenMetrics (missing # EOF, bad escaping, a sample outside its family).

A real report: the leaking CI test program (2000 B per request, ci_unit_tests.c) runs under
clw-leak-run in exact mode with a 1 GiB memory limit; its snapshot is copied to a path holding a
quote, a backslash and a blank, to exercise label escaping. The parsed values are checked against the
program's truth and against the JSON report of the same file: clwleak_leak_bytes_per_request,
clwleak_time_to_oom_seconds, clwleak_live_bytes{module=...}, the limit and its source, the gate.
A clean run must have no clwleak_time_to_oom_seconds. Exit 77 (skipped) without the module.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
from checks import Checks, environment_without_profiler  # noqa: E402  (tests/integration/checks.py)

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
except ImportError:
    print("SKIP: prometheus_client is not installed for this python3 (Debian package "
          "python3-prometheus-client; scripts/test installs it when it can)")
    sys.exit(77)

LEAK_BYTES_PER_REQUEST = 2000
TESTS = 300
LIMIT = 1 << 30
MODULE = "clwleak_ci_leaky"


def environment(args):
    env = environment_without_profiler()
    env["CLWLEAK_INTERVAL"] = "100ms"
    env["CLWLEAK_MEMORY_LIMIT"] = str(LIMIT)
    return env


def profile(args, program, output):
    run = subprocess.run([os.path.join(args.build_dir, "scripts", "clw-leak-run"), "--rate", "1",
                          "--output", output, "--force", "--", program],
                         env=environment(args), capture_output=True, text=True, timeout=120,
                         check=False)
    if run.returncode != 0 or not os.path.exists(output):
        sys.exit(f"FAIL: clw-leak-run {program} exited {run.returncode}: {run.stderr}")


def analyze(args, *options):
    command = [os.path.join(args.build_dir, "bin", "clw-leak-analyze"), *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def samples_of(families):
    """{metric name: [(labels, value)]} and {family name: type} from the parser's families."""
    samples, types = {}, {}
    for family in families:
        types[family.name] = family.type
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples, types


def close(a, b, relative=1e-6):
    return a is not None and b is not None and abs(a - b) <= relative * max(abs(a), abs(b), 1e-9)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--leaky", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    strange = os.path.join(args.workdir, 'a "quoted" dir\\with back')
    os.makedirs(strange)
    checks = Checks()

    snapshot = os.path.join(strange, "leaky run.pb")
    profile(args, args.leaky, os.path.join(args.workdir, "leaky.pb"))
    shutil.copy(os.path.join(args.workdir, "leaky.pb"), snapshot)
    text = analyze(args, "--format", "prometheus", "--fail-on-leak", "64KiB", snapshot)
    checks.expect(text.returncode == 1, "the gate fails (exit 1) and the metrics are still written",
                  text.returncode)
    report = json.loads(analyze(args, "--format", "json", snapshot).stdout)
    report = report["files"][0] if "files" in report and "leak" not in report else report

    try:
        families = list(text_string_to_metric_families(text.stdout))
    except Exception as e:  # the parser raises ValueError and friends on invalid OpenMetrics
        print(f"FAIL: the OpenMetrics parser rejects the output: {e!r}\n{text.stdout}")
        return 1
    checks.expect(True, f"the OpenMetrics parser reads {len(families)} metric families")
    samples, types = samples_of(families)
    checks.expect(all(t == "gauge" for n, t in types.items()),
                  "every family is a gauge", {n: t for n, t in types.items() if t != "gauge"})
    files = {labels.get("file") for name, values in samples.items() for labels, _ in values
             if name not in ("clwleak_gate_passed", "clwleak_gate_outcome")}  # the run's gates
    checks.expect(files == {snapshot}, "every sample's file label is the path (with a quote, a "
                  "backslash and blanks), unescaped back", files)

    def value(name, **labels):
        found = [v for l, v in samples.get(name, []) if all(l.get(k) == x for k, x in labels.items())]
        return found[0] if len(found) == 1 else None

    per_request = value("clwleak_leak_bytes_per_request")
    checks.expect(per_request is not None and
                  abs(per_request - LEAK_BYTES_PER_REQUEST) <= 0.02 * LEAK_BYTES_PER_REQUEST,
                  f"clwleak_leak_bytes_per_request {per_request} is the truth, "
                  f"{LEAK_BYTES_PER_REQUEST} B per request (exact mode)")
    leak = report["leak"]
    checks.expect(close(per_request, leak["bytes_per_n_requests"] / leak["per_requests"]),
                  "clwleak_leak_bytes_per_request is the JSON report's rate / N",
                  (per_request, leak))
    low, high = (value("clwleak_leak_bytes_per_request_ci95_low"),
                 value("clwleak_leak_bytes_per_request_ci95_high"))
    checks.expect(low is not None and high is not None and low <= per_request <= high,
                  "the 95% interval holds the rate", (low, per_request, high))

    oom = value("clwleak_time_to_oom_seconds")
    checks.expect(oom is not None and math.isfinite(oom) and oom > 0 and
                  close(oom, report["time_to_oom_s"]),
                  f"clwleak_time_to_oom_seconds {oom} is the JSON report's time_to_oom_s",
                  report.get("time_to_oom_s"))
    limit = value("clwleak_memory_limit_bytes")
    limit_source = [l.get("source") for l, _ in samples.get("clwleak_memory_limit_bytes", [])]
    checks.expect(limit == LIMIT and limit_source == ["CLWLEAK_MEMORY_LIMIT"],
                  "clwleak_memory_limit_bytes is CLWLEAK_MEMORY_LIMIT's 1 GiB, with its source",
                  (limit, limit_source))
    in_use = value("clwleak_memory_in_use_bytes")
    if oom is not None and in_use is not None:
        # Time to OOM is the headroom over the growth rate: (limit - in use) / (bytes per second).
        rate = leak["bytes_per_hour"] / 3600
        checks.expect(rate > 0 and abs(oom - (LIMIT - in_use) / rate) <= 0.05 * oom,
                      f"time to OOM {oom:.0f} s is (limit - in use) / leak rate "
                      f"{(LIMIT - in_use) / rate:.0f} s", (LIMIT, in_use, rate))

    live = value("clwleak_live_bytes", module=MODULE)
    module_live = sum(site["live_bytes"] for site in report["sites"] if site["module"] == MODULE)
    checks.expect(live is not None and live >= TESTS * LEAK_BYTES_PER_REQUEST,
                  f"clwleak_live_bytes{{module=\"{MODULE}\"}} {live} holds the {TESTS} leaked "
                  f"blocks ({TESTS * LEAK_BYTES_PER_REQUEST} B)")
    checks.expect(close(live, module_live), "clwleak_live_bytes of the module is the sum of its "
                  "sites' live_bytes in the JSON report", (live, module_live))
    modules = {l.get("module") for l, _ in samples.get("clwleak_live_bytes", [])}
    checks.expect(MODULE in modules and all(modules), "clwleak_live_bytes has a module label",
                  modules)
    checks.expect(value("clwleak_module_leak_bytes_per_request", module=MODULE) is not None and
                  close(value("clwleak_module_leak_bytes_per_request", module=MODULE), per_request,
                        0.01), "clwleak_module_leak_bytes_per_request names the leaking module")
    checks.expect(value("clwleak_requests") == TESTS, "clwleak_requests is the program's count",
                  value("clwleak_requests"))
    checks.expect(value("clwleak_leaking_sites") == 1, "one leaking site",
                  value("clwleak_leaking_sites"))
    checks.expect(value("clwleak_gate_passed") == 0, "clwleak_gate_passed is 0 for the failed gate",
                  value("clwleak_gate_passed"))
    checks.expect(value("clwleak_gate_outcome", outcome="failed") == 1 and
                  value("clwleak_gate_outcome", outcome="passed") == 0,
                  "clwleak_gate_outcome is the state set of the failed gate")
    checks.expect(value("clwleak_verdict", verdict="leak") == 1 and
                  value("clwleak_verdict", verdict="stable") == 0,
                  "clwleak_verdict is the state set of the run's verdict: leak")
    info = samples.get("clwleak_info", [({}, None)])[0]
    checks.expect(info[1] == 1 and info[0].get("exe", "").endswith(MODULE) and
                  info[0].get("clwleak_version"), "clwleak_info carries exe and version", info)

    # No leak: no projection, so no time-to-OOM sample at all.
    clean = os.path.join(args.workdir, "clean.pb")
    profile(args, args.leaky.replace("clwleak_ci_leaky", "clwleak_ci_clean"), clean)
    clean_families = list(text_string_to_metric_families(
        analyze(args, "--format", "prometheus", clean).stdout))
    clean_samples, _ = samples_of(clean_families)
    checks.expect("clwleak_time_to_oom_seconds" not in clean_samples,
                  "a run without a leak has no clwleak_time_to_oom_seconds sample")
    clean_rate = [v for _, v in clean_samples.get("clwleak_leak_bytes_per_request", [])]
    checks.expect(clean_rate and clean_rate[0] < 0.01 * LEAK_BYTES_PER_REQUEST,
                  "the clean run's leak per request is about 0", clean_rate)
    checks.expect("clwleak_gate_passed" not in clean_samples, "no gate requested: no gate sample")

    print(f"{'FAILED' if checks.failed else 'PASSED'}: {checks.failed} failed check(s)")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
