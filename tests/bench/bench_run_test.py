#!/usr/bin/env python3
"""bench/run checked: how it judges the performance bars, and that a quick run produces its tables.

    bench_run_test.py bars                      # the verdicts on made-up summaries (no runs)
    bench_run_test.py quick --build-dir DIR     # bench/run --quick on the large-block mix

`bars` feeds bench/run's own functions figures chosen on either side of each bar: the always-on
bar on the steady-state median, exact mode against heaptrack on CPU time (a figure that passes by
CPU and fails by wall time), the data bar, dlopen/dlclose throughput, the cc1plus bars, and the
bootstrap interval of a median. `quick` runs
the real thing on one workload (the numbers are not judged: the machine is shared) and checks the
report and the raw runs: every configuration ran (bench/run fails by itself when a run under the
preload prints another checksum than the bare run), the large-block mix gave its bare, exact-mode
and heaptrack runs the always-on rounds, and the bars are listed.
"""
import argparse
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BENCH_RUN = os.path.join(ROOT, "bench", "run")
MIB = 1024 * 1024
DEFAULT = "clwleak 256K (default)"


def load_bench_run():
    loader = importlib.machinery.SourceFileLoader("bench_run", BENCH_RUN)
    spec = importlib.util.spec_from_loader("bench_run", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


class Failures:
    def __init__(self):
        self.count = 0

    def check(self, condition, message):
        print(("ok   " if condition else "FAIL ") + message)
        if not condition:
            self.count += 1


def entry(wall=1.0, cpu=1.0, steady=1.0, output=0, rss=10 * MIB, bare_rss=8 * MIB):
    return {"runs": 25, "wall_ratio": (wall, wall, wall), "cpu_ratio": (cpu, cpu, cpu),
            "steady_wall_ratio": (steady, steady, steady),
            "steady_wall_ratio_ci95": (steady - 0.01, steady + 0.01), "fixed_wall_s": 0.004,
            "peak_rss_bytes": rss, "bare_rss_bytes": bare_rss, "output_bytes": output}


def verdict(bench, summary, bar_start):
    rows = [row for row in bench.bars(summary, None, []) if row[0].startswith(bar_start)]
    assert len(rows) == 1, (bar_start, rows)
    return rows[0]


def test_bars():
    bench = load_bench_run()
    failures = Failures()

    def always_on(steady):
        return {"churn 1t": {"bare": entry(), DEFAULT: entry(steady=steady)}}
    failures.check(verdict(bench, always_on(1.029), "default rate, churn 1t: wall")[2],
                   "always-on: a steady median of 1.029x meets the 1.03x bar")
    failures.check(not verdict(bench, always_on(1.031), "default rate, churn 1t: wall")[2],
                   "always-on: 1.031x does not")
    failures.check(not verdict(bench, {"churn 1t": {"bare": entry(), DEFAULT: entry(
        rss=int(1.05 * 8 * MIB + 16 * MIB) + 1)}}, "default rate, churn 1t: peak RSS")[2],
                   "peak RSS: one byte over 1.05x + 16 MiB fails")

    def exact_against_heaptrack(exact_wall, exact_cpu, heaptrack_wall, heaptrack_cpu,
                                exact_output=900, heaptrack_output=12000):
        return {"large blocks": {"bare": entry(), DEFAULT: entry(),
                                 "clwleak exact": entry(wall=exact_wall, cpu=exact_cpu,
                                                        output=exact_output),
                                 "heaptrack": entry(wall=heaptrack_wall, cpu=heaptrack_cpu,
                                                    output=heaptrack_output)}}
    # By wall time +0.9% against +3.0% would be 0.3; by CPU time it is +1% against +20%.
    bar, measured, met = verdict(bench, exact_against_heaptrack(1.009, 1.01, 1.03, 1.20),
                                 "exact mode, large blocks: added time")
    failures.check(met, "exact vs heaptrack: judged by CPU time (0.05), not wall time (0.30)")
    failures.check("CPU +1.0% vs heaptrack +20.0% (ratio 0.05)" in measured and
                   "wall +0.9% vs +3.0%" in measured, f"the bar shows both figures: {measured}")
    failures.check(not verdict(bench, exact_against_heaptrack(1.0, 1.05, 1.5, 1.20),
                               "exact mode, large blocks: added time")[2],
                   "exact vs heaptrack: CPU +5% against +20% (0.25) fails, whatever the wall time")
    failures.check(verdict(bench, exact_against_heaptrack(1.0, 1.01, 1.0, 0.99),
                           "exact mode, large blocks: added time")[2],
                   "heaptrack adds no CPU time: exact mode within 2% meets the bar")
    failures.check(not verdict(bench, exact_against_heaptrack(1.0, 1.03, 1.0, 0.99),
                               "exact mode, large blocks: added time")[2],
                   "heaptrack adds no CPU time: exact mode at +3% fails")
    failures.check(verdict(bench, exact_against_heaptrack(1, 1, 2, 2, 1200, 12000),
                           "exact mode, large blocks: snapshot data")[2],
                   "data: exactly a tenth of heaptrack's trace meets the bar")
    failures.check(not verdict(bench, exact_against_heaptrack(1, 1, 2, 2, 1201, 12000),
                               "exact mode, large blocks: snapshot data")[2],
                   "data: one byte more does not")

    def dlopen_loop(default_wall, exact_wall):
        return {"dlopen": {"bare": entry(), DEFAULT: entry(wall=default_wall),
                           "clwleak exact": entry(wall=exact_wall)}}
    rows = [row for row in bench.bars(dlopen_loop(1.11, 1.12), None, [])
            if "dlopen/dlclose throughput" in row[0]]
    failures.check([met for _, _, met in rows] == [True, False],
                   f"dlopen: wall 1.11x is 0.90x of bare throughput (met), 1.12x is not: {rows}")

    def compiler(default_wall, exact_wall):
        return {"cc1plus": {"bare": entry(), DEFAULT: entry(wall=default_wall),
                            "clwleak exact": entry(wall=exact_wall)}}
    failures.check(verdict(bench, compiler(1.02, 1.5), "default rate, cc1plus: wall")[2] and
                   verdict(bench, compiler(1.02, 1.5), "exact mode, cc1plus: wall")[2],
                   "cc1plus: the default rate at 1.02x and exact mode at 1.5x meet their bars")
    failures.check(not verdict(bench, compiler(1.021, 1.5), "default rate, cc1plus: wall")[2] and
                   not verdict(bench, compiler(1.0, 1.51), "exact mode, cc1plus: wall")[2],
                   "cc1plus: 1.021x at the default rate, 1.51x in exact mode do not")

    low, high = bench.median_interval([1.0] * 20)
    failures.check((low, high) == (1.0, 1.0), "median interval of a constant is that constant")
    values = [1.0 + i / 100 for i in range(41)]  # median 1.20
    low, high = bench.median_interval(values)
    failures.check(low < 1.20 < high and 1.10 < low and high < 1.30,
                   f"median interval of 1.00..1.40 holds 1.20, narrowly: {low:.3f}-{high:.3f}")
    failures.check(bench.median_interval(values) == (low, high), "the bootstrap is seeded")
    return failures.count


def test_quick(build_dir):
    failures = Failures()
    with tempfile.TemporaryDirectory(prefix="bench-run-test-") as scratch:
        out = os.path.join(scratch, "report.md")
        run = subprocess.run([sys.executable, BENCH_RUN, "--quick", "--skip-micro",
                              "--workloads", "large blocks", "--build-dir", build_dir,
                              "--out", out], capture_output=True, text=True, check=False)
        failures.check(run.returncode == 0, f"bench/run --quick exits 0 ({run.returncode})")
        if run.returncode != 0:
            print(run.stderr[-3000:])
            return failures.count
        with open(out, encoding="utf-8") as report_file:
            report = report_file.read()
        with open(os.path.splitext(out)[0] + ".json", encoding="utf-8") as raw_file:
            raw = json.load(raw_file)
    have_heaptrack = "heaptrack" in raw["runs"]["large blocks"]
    configs = ["bare", DEFAULT, "clwleak 64K", "clwleak exact"] + (
        ["heaptrack"] if have_heaptrack else [])
    runs = raw["runs"]["large blocks"]
    done = {config: sum(1 for r in runs[config] if r) for config in configs}
    failures.check(all(done[c] >= 1 for c in configs), f"every configuration ran: {done}")
    # --quick: 3 cheap rounds, 5 always-on ones; on the large-block mix the comparison with
    # heaptrack runs in the always-on rounds, elsewhere exact mode and heaptrack run once.
    failures.check(done["bare"] == 5 and done["clwleak exact"] == 5 and done[DEFAULT] == 3,
                   f"bare and exact mode ran the always-on rounds, the default rate 3: {done}")
    if have_heaptrack:
        failures.check(done["heaptrack"] == 5, f"heaptrack ran the always-on rounds: {done}")
    # (bench/run itself fails when a run under the preload prints another checksum than bare.)
    failures.check(all(r["exit"] == 0 for c in configs for r in runs[c] if r),
                   "every run exited 0")
    entry_exact = raw["summary"]["large blocks"]["clwleak exact"]
    failures.check(entry_exact["output_bytes"] > 0 and entry_exact["cpu_ratio"][0] > 0,
                   "exact mode wrote a snapshot and has a CPU ratio")
    for text in ("| large blocks | clwleak exact | 5 |", "## Performance bars",
                 "24 h of the worker at default rate"):
        failures.check(text in report, f"the report has {text!r}")
    if have_heaptrack:
        failures.check("exact mode, large blocks: added time <= 1/5 of heaptrack's | CPU " in report,
                       "the exact-vs-heaptrack bar is listed, by CPU time")
    return failures.count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("test", choices=["bars", "quick"])
    parser.add_argument("--build-dir")
    args = parser.parse_args()
    failed = test_bars() if args.test == "bars" else test_quick(os.path.abspath(args.build_dir))
    print(f"{failed} failed" if failed else "all passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
