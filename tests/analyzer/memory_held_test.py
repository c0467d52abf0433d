#!/usr/bin/env python3
"""Memory held and the OOM cause on real runs: a scenario of programs/memory_held_scenarios.cc runs
under libclwleak.so in exact mode and at the default rate, once ending normally and once SIGKILLed
(as the OOM killer would) after it printed its truth, and clw-leak-analyze's JSON and text reports
are checked against that truth:

- the top holder (at the end or at the peak, as the truth says) is the program's holding function,
  with live bytes within 10% of the truth in exact mode and 25% at the default rate;
- the cause is the truth's (large_payloads, load_spikes, limit_too_small, leak), with its fix;
- a killed run is a post-mortem (ending no_final_snapshot or cut_mid_record), and its text report
  opens with the post-mortem headline, never with "No leak detected" alone;
- for the leak, the leak answers are unchanged: `leak`, at its rate within the same tolerance.

    memory_held_test.py --program P --analyzer A --preload L --workdir D --scenario NAME
"""
import argparse
import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
from checks import Checks, environment_without_profiler  # noqa: E402
from leak_scenarios_test import MODES, TOLERANCE, parse_truth  # noqa: E402

INTERVAL_MS = 250
# scenario -> the memory limit the run is given, in MiB
LIMIT_MIB = {"pile-up": 256, "one-huge": 256, "burst": 128, "flat": 128, "leak": 512}
HOLD_AFTER_TRUTH_S = 1.5  # snapshots after the truth before the kill
RUN_TIMEOUT_S = 60


def run(args, mode, ending):
    directory = os.path.join(args.workdir, f"{args.scenario}.{mode}.{ending}")
    os.makedirs(directory, exist_ok=True)
    for old in glob.glob(os.path.join(directory, "*")):
        os.remove(old)
    env = environment_without_profiler()
    env.update(MODES[mode])
    env.update({"LD_PRELOAD": args.preload, "CLWLEAK_INTERVAL": f"{INTERVAL_MS}ms",
                "CLWLEAK_MEMORY_LIMIT": f"{LIMIT_MIB[args.scenario]}MiB",
                "CLWLEAK_OUTPUT": os.path.join(directory, "%p.pb")})
    command = [args.program, args.scenario, ending, str(LIMIT_MIB[args.scenario])]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    truth = {}
    if ending == "hold":
        deadline = time.monotonic() + RUN_TIMEOUT_S
        line = process.stdout.readline()  # the truth, printed once the memory is held
        truth = parse_truth(line)
        time.sleep(HOLD_AFTER_TRUTH_S)
        if time.monotonic() < deadline:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=RUN_TIMEOUT_S)
        stderr = process.stderr.read()
    else:
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
        truth = parse_truth(stdout)
    return process.returncode, truth, stderr, sorted(glob.glob(os.path.join(directory, "*.pb")))


def analyze(args, path, fmt):
    result = subprocess.run([args.analyzer, "--format", fmt, path], capture_output=True, text=True,
                            timeout=120)
    return result.returncode, result.stdout


def function_matches(name, function):
    return bool(name) and re.search(r"(^|::)" + re.escape(function) + r"(\(|$)", name) is not None


def check_run(checks, args, mode, ending):
    what = f"{args.scenario} ({mode}, {ending})"
    code, truth, stderr, files = run(args, mode, ending)
    expected_code = -signal.SIGKILL if ending == "hold" else 0
    if not checks.expect(code == expected_code, f"{what}: the program ends with {expected_code}",
                         f"{code}: {stderr[-400:]}"):
        return
    if not checks.expect(bool(truth) and len(files) == 1, f"{what}: its truth and one file",
                         f"{truth} {files}"):
        return
    status, output = analyze(args, files[0], "json")
    checks.expect(status in (0, 3), f"{what}: the JSON report is written", status)
    report = json.loads(output) if output.strip() else {}
    held = report.get("held") or {}
    moment = held.get(truth["at"]) or {}
    sites = moment.get("sites") or [{}]
    top = sites[0]
    function = truth["holder_function"]
    checks.expect(function_matches(top.get("function"), function),
                  f"{what}: the top holder at the {truth['at']} is {function}",
                  top.get("function"))
    expected = float(truth["holder_bytes"])
    if "holder_bytes_per_request" in truth:
        expected = float(truth["holder_bytes_per_request"]) * (moment.get("requests") or 0)
    live = top.get("live_bytes") or 0
    checks.expect(expected > 0 and abs(live - expected) <= TOLERANCE[mode] * expected,
                  f"{what}: it held {live / 2**20:.1f} MiB against {expected / 2**20:.1f} MiB",
                  f"tolerance {TOLERANCE[mode]:.0%}")
    if truth["cause"] == "large_payloads":
        largest = top.get("largest_allocation_bytes") or 0
        size = float(truth["holder_bytes"]) / (6 if args.scenario == "pile-up" else 1)
        checks.expect(largest == size, f"{what}: its largest allocation is the payload's size",
                      f"{largest} against {size:.0f}")
    cause = report.get("oom_cause") or {}
    checks.expect(cause.get("cause") == truth["cause"], f"{what}: the cause is {truth['cause']}",
                  cause)
    checks.expect(bool(cause.get("fix")), f"{what}: the cause comes with a fix", cause.get("fix"))
    killed = ending == "hold"
    checks.expect(report.get("post_mortem") == killed,
                  f"{what}: post_mortem is {killed} (ending {report.get('ending')})")
    if truth["cause"] == "leak":
        site = next((s for s in report.get("sites", [])
                     if function_matches((s.get("frames") or [{}])[max(s.get("site_frame", 0), 0)]
                                         .get("function"), function)), None)
        per_request = float(truth["holder_bytes_per_request"])
        rate = ((site or {}).get("bytes_per_n_requests") or 0) / report.get("per_requests", 1000)
        checks.expect(site is not None and site.get("classification") == "leak" and
                      abs(rate - per_request) <= TOLERANCE[mode] * per_request,
                      f"{what}: the leak answers are unchanged ({rate:.0f} B/request)",
                      (site or {}).get("classification"))
    status, text = analyze(args, files[0], "text")
    lines = text.splitlines()
    if killed:
        checks.expect(bool(lines) and lines[0].startswith("[clw] Worker process did not exit "
                                                          "normally"),
                      f"{what}: the text report opens with the post-mortem headline",
                      lines[:1])
        checks.expect(any(l.startswith("[clw] Memory held: ") and function in l for l in lines),
                      f"{what}: the headline names {function} as holding the memory")
    checks.expect(any(l.startswith("[clw] Cause: ") for l in lines) and
                  any(l.startswith("[clw] Fix: ") for l in lines),
                  f"{what}: the text report gives the cause and its fix")
    if killed:
        checks.expect(not (lines and lines[0].startswith("[clw] No leak detected")),
                      f"{what}: never 'No leak detected' as the first word on a killed process")


def main():
    parser = argparse.ArgumentParser()
    for name in ("program", "analyzer", "preload", "workdir", "scenario"):
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    checks = Checks()
    for mode in MODES:
        for ending in ("exit", "hold"):
            check_run(checks, args, mode, ending)
    print(f"{checks.failed} check(s) failed" if checks.failed else "all checks passed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
