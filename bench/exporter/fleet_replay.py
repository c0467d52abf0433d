#!/usr/bin/env python3
"""Scale benchmark of clw-leak-exporter: N snapshot files appended at once.

Records one real snapshot file (clw-worker under libclwleak.so, 1 s snapshots, default sampling
rate) unless --recorded is given, then replays it into N files in a fresh directory at once: every
--tick each file gets the next slice of the recording, so that all N files are written during the
whole replay (a recording of S snapshots replayed in --replay-seconds). The exporter follows the
directory with its defaults (1 s polls, 5 s analysis interval). Measured on the exporter process:
  cpu_per_wall_s  CPU seconds (user + system, /proc/PID/stat) per wall second during the replay
  peak_rss_mib    VmHWM at the end
  scrape_s        wall time of GET /metrics (median and max over scrapes every 2 s) and its size
Prints one JSON object; --markdown appends a row to a results table.
Usage: fleet_replay.py --exporter BIN [--worker BIN --preload LIB | --recorded FILE] [--files N]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def record(args, work):
    directory = os.path.join(work, "recording")
    os.makedirs(directory)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLWLEAK_")}
    env.update({"LD_PRELOAD": args.preload, "CLWLEAK_INTERVAL": "1s",
                "CLWLEAK_OUTPUT": os.path.join(directory, "clwleak.%e.%p.pb"),
                "CLWLEAK_LABELS": "pod=web-0,namespace=bench", "CLW_MEMORY_LIMIT": str(2 << 30)})
    subprocess.run([args.worker, "--rate", "500", "--duration", str(args.record_seconds),
                    "--threads", "2", "--progress", "0"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    (name,) = os.listdir(directory)
    return os.path.join(directory, name)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def scrape(port):
    started = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        body = response.read()
    return time.monotonic() - started, body


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--exporter", required=True)
    parser.add_argument("--worker")
    parser.add_argument("--preload")
    parser.add_argument("--recorded")
    parser.add_argument("--record-seconds", type=int, default=60)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--replay-seconds", type=float, default=60)
    parser.add_argument("--tick", type=float, default=1.0)
    parser.add_argument("--markdown")
    parser.add_argument("--save-page", help="write the last /metrics page there")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="clwleak-fleet-bench-")
    exporter = None
    try:
        recorded = args.recorded or record(args, work)
        data = open(recorded, "rb").read()
        watched = os.path.join(work, "watched")
        os.makedirs(watched)
        paths = [os.path.join(watched, f"clwleak.clw-worker.{100000 + i}.pb") for i in range(args.files)]
        for path in paths:
            open(path, "wb").close()
        port = free_port()
        exporter = subprocess.Popen([args.exporter, "--serve", f"127.0.0.1:{port}", "--watch", watched],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        ticks = max(1, int(args.replay_seconds / args.tick))
        slice_bytes = -(-len(data) // ticks)
        cpu0, wall0 = cpu_seconds(exporter.pid), time.monotonic()
        scrapes, sizes = [], []
        next_scrape = wall0 + 2
        for tick in range(ticks):
            tick_start = time.monotonic()
            chunk = data[tick * slice_bytes:(tick + 1) * slice_bytes]
            for path in paths:
                with open(path, "ab") as out:
                    out.write(chunk)
            if time.monotonic() >= next_scrape:
                seconds, body = scrape(port)
                scrapes.append(seconds)
                sizes.append(len(body))
                next_scrape += 2
            time.sleep(max(0.0, args.tick - (time.monotonic() - tick_start)))
        time.sleep(6)  # the last analysis of every file
        wall = time.monotonic() - wall0
        cpu = cpu_seconds(exporter.pid) - cpu0
        seconds, body = scrape(port)
        scrapes.append(seconds)
        sizes.append(len(body))
        text = body.decode()
        if args.save_page:
            with open(args.save_page, "w") as out:
                out.write(text)
        followed = [l for l in text.splitlines() if l.startswith("clwleak_exporter_files_followed ")]
        leak_series = sum(1 for l in text.splitlines() if l.startswith("clwleak_leak_bytes_per_second{"))
        result = {
            "files": args.files, "recorded_bytes": len(data), "replay_seconds": round(wall, 1),
            "files_followed": int(followed[0].split()[1]) if followed else 0,
            "processes_with_leak_rate": leak_series,
            "cpu_per_wall_s": round(cpu / wall, 3),
            "peak_rss_mib": round(status_kib(exporter.pid, "VmHWM") / 1024, 1),
            "scrape_s_median": round(statistics.median(scrapes), 4),
            "scrape_s_max": round(max(scrapes), 4), "scrapes": len(scrapes),
            "page_bytes": sizes[-1],
        }
        print(json.dumps(result))
        if args.markdown:
            with open(args.markdown, "a") as out:
                out.write(f"| {result['files']} | {result['recorded_bytes']:,} | "
                          f"{result['files_followed']} | {result['processes_with_leak_rate']} | "
                          f"{result['cpu_per_wall_s']} | {result['peak_rss_mib']} | "
                          f"{result['scrape_s_median']} | {result['scrape_s_max']} | "
                          f"{result['page_bytes']:,} |\n")
        return 0
    finally:
        if exporter is not None:
            exporter.terminate()
            exporter.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
