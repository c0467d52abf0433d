#!/usr/bin/env python3
"""Runs the bench/micro benchmarks bare and under LD_PRELOAD=libclwleak.so and prints, per benchmark,
the nanoseconds the preload adds per call (median of the preloaded run minus median of the bare run).

    bench/micro/compare.py [--build-dir DIR] [--quick] [--out FILE.md]

Each binary runs with --benchmark_format=json and --benchmark_repetitions, bare first and then once
per preload configuration; only the median aggregates are compared. bench/run calls micro_rows()
and format_table() and puts the result in bench/results/latest.md.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

# (binary, label, environment of the preloaded run). Each binary also runs bare.
CONFIGS = [
    ("unsampled_pair_bench", "unsampled (rate 1G)", {"CLWLEAK_SAMPLE_RATE": "1G"}),
    ("unsampled_pair_bench", "default rate (256K)", {}),
    ("sampled_depth_bench", "exact, libunwind (stack cache)", {"CLWLEAK_SAMPLE_RATE": "1"}),
    ("sampled_depth_bench", "exact, libunwind, no stack cache",
     {"CLWLEAK_SAMPLE_RATE": "1", "CLWLEAK_STACK_CACHE": "0"}),
    ("sampled_depth_bench", "exact, fp", {"CLWLEAK_SAMPLE_RATE": "1", "CLWLEAK_UNWIND": "fp"}),
    ("free_with_live_bench", "exact (live set sampled)", {"CLWLEAK_SAMPLE_RATE": "1"}),
]


def run_benchmark(binary, env_extra, preload, repetitions, min_time, scratch):
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("CLWLEAK_") or key == "LD_PRELOAD":
            del env[key]
    env["CLWLEAK_OUTPUT"] = os.path.join(scratch, "%e.%p.pb")
    if preload:
        env["LD_PRELOAD"] = preload
        env.update(env_extra)
    command = [binary, "--benchmark_format=json",
               f"--benchmark_repetitions={repetitions}", f"--benchmark_min_time={min_time}",
               "--benchmark_report_aggregates_only=true"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr[-2000:]}")
    medians = {}
    for entry in json.loads(result.stdout)["benchmarks"]:
        if entry.get("aggregate_name") != "median":
            continue
        factor = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[entry["time_unit"]]
        medians[entry["run_name"]] = {
            "ns": entry["real_time"] * factor,
            "frames": entry.get("frames"),
            "filter_hit": entry.get("filter_hit"),
        }
    return medians


def micro_rows(build_dir, quick, log=sys.stderr):
    """Returns [(config label, benchmark name, bare ns, preloaded ns, added ns, note)]."""
    bin_dir = os.path.join(build_dir, "bin")
    preload = os.path.join(build_dir, "lib", "libclwleak.so")
    repetitions, min_time = (3, 0.1) if quick else (5, 0.3)
    rows = []
    bare_cache = {}
    with tempfile.TemporaryDirectory(prefix="clwleak-micro-") as scratch:
        for binary, label, env_extra in CONFIGS:
            path = os.path.join(bin_dir, binary)
            if binary not in bare_cache:
                print(f"micro: {binary} bare", file=log, flush=True)
                bare_cache[binary] = run_benchmark(path, {}, None, repetitions, min_time, scratch)
            print(f"micro: {binary} {label}", file=log, flush=True)
            loaded = run_benchmark(path, env_extra, preload, repetitions, min_time, scratch)
            for name, bare in bare_cache[binary].items():
                if name not in loaded:
                    continue
                note = ""
                if loaded[name]["frames"] is not None:
                    note = f"{loaded[name]['frames']:.0f} frames"
                if loaded[name]["filter_hit"] is not None:
                    note = f"{100 * loaded[name]['filter_hit']:.1f}% filter buckets set"
                rows.append((label, name, bare["ns"], loaded[name]["ns"],
                             loaded[name]["ns"] - bare["ns"], note))
    return rows


def format_table(rows):
    lines = ["| benchmark | preload configuration | bare ns | preloaded ns | added ns/call | note |",
             "|---|---|---:|---:|---:|---|"]
    for label, name, bare, loaded, added, note in rows:
        lines.append(f"| `{name}` | {label} | {bare:.1f} | {loaded:.1f} | {added:+.1f} | {note} |")
    return "\n".join(lines) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.path.join(here, "..", "..", "build-bench"))
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repetitions")
    parser.add_argument("--out", help="also write the markdown table to this file")
    args = parser.parse_args()
    table = format_table(micro_rows(os.path.abspath(args.build_dir), args.quick))
    print(table)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(table)


if __name__ == "__main__":
    main()
