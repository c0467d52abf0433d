#!/usr/bin/env python3
"""clw-leak-exporter under a real Prometheus (ctest integration.exporter_prometheus).

A leaking clw-worker runs under libclwleak.so (1 s snapshots, CLWLEAK_LABELS, a memory limit); the
exporter follows its directory; Debian's `prometheus` (installed by tests/exporter/ensure_prometheus.sh
when missing) runs on 127.0.0.1 with a temporary configuration and data directory, scrapes the
exporter and evaluates the shipped clwleak-rules.yml (with its `for:` periods shortened to fit a
test). While the worker still runs, Prometheus' HTTP API must give:
  - the leak rate per request within 15% of the bytes the worker leaks per request (--leak-bytes),
    and per second within 15% of what the worker's own progress lines count;
  - time to OOM within 20% of the arithmetic (limit - the worker's RSS now) / its leak per second;
  - the operator's labels (pod, namespace) and pid on the series; the OOM forecast alert firing.
Then the worker restarts (a new pid, a new file): the new series appears in Prometheus, and the old
one ages out of the exporter after --retention and goes stale in Prometheus.
Standard library only; every check prints one line; exit 1 when any failed.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Checks, environment_without_profiler  # noqa: E402

LEAK_BYTES = 16384         # per request, in libclient.so: ~750 samples in 30 s at the default rate
RATE = 400                 # requests per second
MEMORY_LIMIT = 2 << 30     # CLW_MEMORY_LIMIT: ~5 minutes to OOM at 6.5 MB/s
RETENTION_S = 15


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def wait_for(what, predicate, timeout_s, interval_s=1.0):
    """Polls predicate() until it returns a truthy value; returns it, or None after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (OSError, ValueError, KeyError):
            value = None
        if value:
            return value
        time.sleep(interval_s)
    print(f"  (gave up waiting for {what} after {timeout_s:.0f} s)")
    return None


class Prometheus:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def query(self, expr):
        """The instant vector of `expr` as [(labels, value)]."""
        url = self.base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        body = json.loads(http_get(url))
        if body.get("status") != "success":
            raise ValueError(body)
        return [(r["metric"], float(r["value"][1])) for r in body["data"]["result"]]

    def alerts(self):
        return json.loads(http_get(self.base + "/api/v1/alerts"))["data"]["alerts"]


def start_worker(args, directory, env, log_path):
    command = [args.worker, "--rate", str(RATE), "--leak-bytes", str(LEAK_BYTES),
               "--threads", "2", "--progress", "1",
               # a cache that fills within the warm-up: its growth is bounded, not the leak
               "--cache-entries", "500"]
    log = open(log_path, "w")
    worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log,
                              stdin=subprocess.DEVNULL)
    worker.log_path = log_path
    return worker


def progress(worker):
    """The worker's progress lines: [(t seconds, requests, leaked bytes)]."""
    points = []
    with open(worker.log_path) as log:
        for line in log:
            match = re.search(r"progress t=(\d+)s requests=(\d+) .*leaked=([\d.]+)MiB", line)
            if match:
                points.append((int(match[1]), int(match[2]), float(match[3]) * 1048576))
    return points


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", required=True)
    parser.add_argument("--preload", required=True)
    parser.add_argument("--exporter", required=True)
    parser.add_argument("--rules", required=True)
    parser.add_argument("--ensure-prometheus", required=True)
    args = parser.parse_args()
    subprocess.run([args.ensure_prometheus], check=True)
    checks = Checks()
    work = tempfile.mkdtemp(prefix="clwleak-exporter-prom-")
    snapshots = os.path.join(work, "snapshots")
    os.makedirs(snapshots)
    processes = []
    try:
        env = environment_without_profiler()
        env.update({"LD_PRELOAD": args.preload, "CLWLEAK_INTERVAL": "1s",
                    "CLWLEAK_OUTPUT": os.path.join(snapshots, "clwleak.%e.%p.pb"),
                    "CLWLEAK_LABELS": "pod=web-0,namespace=shop",
                    "CLW_MEMORY_LIMIT": str(MEMORY_LIMIT)})
        worker = start_worker(args, snapshots, env, os.path.join(work, "worker1.log"))
        processes.append(worker)

        exporter_port = free_port()
        exporter = subprocess.Popen(
            [args.exporter, "--serve", f"127.0.0.1:{exporter_port}", "--watch", snapshots,
             "--poll-interval", "1s", "--analysis-interval", "1s", "--retention", f"{RETENTION_S}s"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "exporter.log"), "w"))
        processes.append(exporter)

        # The shipped rules, with `for:` periods short enough for a test.
        rules = os.path.join(work, "clwleak-rules.yml")
        with open(args.rules) as source, open(rules, "w") as copy:
            copy.write(re.sub(r"for: \d+m", "for: 10s", source.read()))
        prometheus_port = free_port()
        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as out:
            out.write(f"""global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files: [{rules}]
scrape_configs:
  - job_name: clwleak
    static_configs: [{{targets: ["127.0.0.1:{exporter_port}"]}}]
""")
        prometheus = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={work}/data",
             f"--web.listen-address=127.0.0.1:{prometheus_port}"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "prometheus.log"), "w"))
        processes.append(prometheus)
        prom = Prometheus(prometheus_port)

        # Enough snapshots after the warm-up for a steady rate.
        time.sleep(30)
        checks.expect(worker.poll() is None, "the worker still runs")
        pid1 = str(worker.pid)
        selector = f'{{pod="web-0",namespace="shop",pid="{pid1}"}}'
        per_request = wait_for("the leak rate in Prometheus",
                               lambda: prom.query("clwleak_leak_bytes_per_request" + selector), 30)
        checks.expect(bool(per_request), "Prometheus has clwleak_leak_bytes_per_request with the "
                      "worker's labels (pod, namespace, pid)", per_request)
        if per_request:
            labels = per_request[0][0]
            checks.expect(labels.get("exe") == "clw-worker" and labels.get("job") == "clwleak",
                          "the series carries exe and the scrape job", labels)
            value = per_request[0][1]
            checks.expect(abs(value - LEAK_BYTES) / LEAK_BYTES <= 0.15,
                          f"leak per request {value:,.0f} B within 15% of the worker's "
                          f"{LEAK_BYTES:,} B", value)

        points = progress(worker)
        per_second = prom.query("clwleak_leak_bytes_per_second" + selector)
        if checks.expect(len(points) >= 10 and bool(per_second),
                         "the worker's progress lines and clwleak_leak_bytes_per_second",
                         (len(points), per_second)):
            (t0, _, leaked0), (t1, _, leaked1) = points[len(points) // 3], points[-1]
            own = (leaked1 - leaked0) / (t1 - t0)
            value = per_second[0][1]
            checks.expect(abs(value - own) / own <= 0.15,
                          f"leak per second {value:,.0f} B/s within 15% of the worker's own count "
                          f"{own:,.0f} B/s", (value, own))
            oom = prom.query("clwleak_time_to_oom_seconds" + selector)
            rss = rss_bytes(worker.pid)
            if checks.expect(bool(oom) and rss is not None, "Prometheus has the time to OOM",
                             (oom, rss)):
                expected = (MEMORY_LIMIT - rss) / own
                checks.expect(abs(oom[0][1] - expected) / expected <= 0.20,
                              f"time to OOM {oom[0][1]:,.0f} s within 20% of the arithmetic "
                              f"({MEMORY_LIMIT:,} - {rss:,} RSS) / {own:,.0f} B/s = {expected:,.0f} s",
                              (oom[0][1], expected))
            low = prom.query("clwleak_time_to_oom_seconds_ci95_low" + selector)
            high = prom.query("clwleak_time_to_oom_seconds_ci95_high" + selector)
            checks.expect(bool(low) and bool(high) and low[0][1] <= oom[0][1] <= high[0][1],
                          "the time to OOM lies in its interval", (low, oom, high))
        for expr, expected in ((f'clwleak_verdict{{verdict="leak",pid="{pid1}"}}', 1),
                               (f'clwleak_leak_top_module_info{{module="libclient.so",pid="{pid1}"}}', 1),
                               (f'clwleak_up{{pid="{pid1}"}}', 1),
                               ("clwleak_exporter_files_followed", 1)):
            result = prom.query(expr)
            checks.expect(bool(result) and result[0][1] == expected, f"{expr} is {expected}", result)
        limit = prom.query(f'clwleak_memory_limit_bytes{{pid="{pid1}"}}')
        checks.expect(bool(limit) and limit[0][1] == MEMORY_LIMIT,
                      "clwleak_memory_limit_bytes is CLW_MEMORY_LIMIT", limit)
        age = prom.query(f'clwleak_last_snapshot_age_seconds{{pid="{pid1}"}}')
        checks.expect(bool(age) and 0 <= age[0][1] < 10, "the last snapshot is seconds old", age)

        def forecast_firing():
            return [a for a in prom.alerts() if a["labels"].get("alertname") == "ClwleakOomForecast"
                    and a["labels"].get("pid") == pid1 and a["state"] == "firing"]
        firing = wait_for("the OOM forecast alert", forecast_firing, 45)
        checks.expect(bool(firing), "the ClwleakOomForecast alert fires for the worker, with its "
                      "pod label", firing)
        if firing:
            checks.expect(firing[0]["labels"].get("pod") == "web-0", "the alert names the pod",
                          firing[0]["labels"])

        # The worker restarts: a new process, a new file.
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        worker2 = start_worker(args, snapshots, env, os.path.join(work, "worker2.log"))
        processes.append(worker2)
        pid2 = str(worker2.pid)
        new_series = wait_for("the restarted worker's series",
                              lambda: prom.query(f'clwleak_up{{pid="{pid2}",pod="web-0"}}'), 30)
        checks.expect(bool(new_series) and new_series[0][1] == 1,
                      f"the restarted worker (pid {pid2}) is a new series", new_series)
        checks.expect(bool(prom.query(f'clwleak_complete{{pid="{pid1}"}} == 1')),
                      "the old worker's file ended cleanly (SIGTERM: final snapshot)")
        metrics_url = f"http://127.0.0.1:{exporter_port}/metrics"
        gone = wait_for("the old series to age out of the exporter",
                        lambda: f'pid="{pid1}"' not in http_get(metrics_url), RETENTION_S + 20)
        checks.expect(bool(gone), f"the old worker's series left the exporter after the "
                      f"{RETENTION_S} s retention")
        stale = wait_for("the old series to go stale in Prometheus",
                         lambda: not prom.query(f'clwleak_up{{pid="{pid1}"}}'), 20)
        checks.expect(bool(stale), "Prometheus no longer returns the old series")
        checks.expect(bool(prom.query(f'clwleak_up{{pid="{pid2}"}}')),
                      "the new series is still there")
        errors = prom.query("sum(clwleak_exporter_read_errors_total)")
        checks.expect(bool(errors) and errors[0][1] == 0, "no read errors", errors)
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        if checks.failed:
            for name in ("exporter.log", "prometheus.log"):
                path = os.path.join(work, name)
                if os.path.exists(path):
                    print(f"--- {name} (tail)")
                    print("".join(open(path).readlines()[-20:]))
        shutil.rmtree(work, ignore_errors=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
