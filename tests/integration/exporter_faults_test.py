#!/usr/bin/env python3
"""clw-leak-exporter against hostile directories (ctest integration.exporter_faults).

The exporter follows a directory where one worker's file keeps growing (a recorded synthetic
worker file replayed in pieces, 6,200 B leaked per request), while other files are truncated,
deleted, replaced by another file under the same name, turned to garbage midway, a FIFO and a
subdirectory sit there, idle connections hold the HTTP server, and the directory fills with
hundreds of 0-byte files. Throughout, /metrics must answer, the growing file's series must stay
up with its leak rate, and each fault must be counted in clwleak_exporter_read_errors_total under
its reason. Standard library only; exit 1 when any check failed.
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Checks  # noqa: E402

LEAK_PER_REQUEST = 6200  # the synthetic worker's leak (tests/analyzer/synthetic_worker.h)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port):
    started = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        body = response.read().decode()
    return body, time.monotonic() - started


def samples(body, name):
    """{labels text: value} of the samples of `name`."""
    found = {}
    for line in body.splitlines():
        match = re.match(re.escape(name) + r"(\{[^}]*\})? (\S+)$", line)
        if match:
            found[match[1] or ""] = float(match[2])
    return found


def value_for(body, name, file):
    for labels, value in samples(body, name).items():
        if f'file="{file}"' in labels:
            return value
    return None


def errors(body, reason):
    return samples(body, "clwleak_exporter_read_errors_total").get(f'{{reason="{reason}"}}', 0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--exporter", required=True)
    parser.add_argument("--synthetic-writer", required=True)
    args = parser.parse_args()
    checks = Checks()
    work = tempfile.mkdtemp(prefix="clwleak-exporter-faults-")
    watched = os.path.join(work, "watched")
    os.makedirs(watched)
    exporter = None
    idle = []
    try:
        recorded = os.path.join(work, "recorded.pb")
        subprocess.run([args.synthetic_writer, recorded, "--snapshots", "200"], check=True,
                       stdout=subprocess.DEVNULL)
        data = open(recorded, "rb").read()
        half = len(data) // 2
        for name in ("truncated.pb", "deleted.pb", "replaced.pb", "garbage.pb"):
            with open(os.path.join(watched, name), "wb") as out:
                out.write(data[:half])
        growing = os.path.join(watched, "growing.pb")
        with open(growing, "wb") as out:
            out.write(data[:4096])
        os.mkfifo(os.path.join(watched, "a.fifo.pb"))
        os.makedirs(os.path.join(watched, "subdirectory.pb"))

        port = free_port()
        exporter = subprocess.Popen(
            [args.exporter, "--serve", f"127.0.0.1:{port}", "--watch", watched,
             "--poll-interval", "200ms", "--analysis-interval", "200ms", "--header-grace", "2s",
             "--retention", "10m"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(50):
            try:
                scrape(port)
                break
            except OSError:
                time.sleep(0.1)
        # Idle connections that never send a request must not keep others out.
        for _ in range(10):
            idle.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(1)
        body, _ = scrape(port)
        checks.expect(samples(body, "clwleak_exporter_files_followed").get("") == 5,
                      "five files followed (the FIFO and the subdirectory are not files)",
                      samples(body, "clwleak_exporter_files_followed"))

        # The faults, while growing.pb keeps growing.
        offset = 4096
        step = max(1, (len(data) - offset) // 20)
        longest_scrape = 0.0
        for round_number in range(20):
            with open(growing, "ab") as out:
                out.write(data[offset:offset + step])
            offset += step
            if round_number == 2:
                os.truncate(os.path.join(watched, "truncated.pb"), 100)
            elif round_number == 4:
                os.unlink(os.path.join(watched, "deleted.pb"))
            elif round_number == 6:
                other = os.path.join(watched, ".replacement")
                with open(other, "wb") as out:
                    out.write(data)
                os.rename(other, os.path.join(watched, "replaced.pb"))
            elif round_number == 8:
                with open(os.path.join(watched, "garbage.pb"), "ab") as out:
                    out.write(os.urandom(3000))
            elif round_number >= 10:
                for i in range(50):  # 500 empty files in all
                    open(os.path.join(watched, f"empty-{round_number}-{i}.pb"), "wb").close()
            time.sleep(0.3)
            body, seconds = scrape(port)
            longest_scrape = max(longest_scrape, seconds)
            checks.expect(value_for(body, "clwleak_up", "growing.pb") == 1,
                          f"round {round_number}: growing.pb is up", value_for(body, "clwleak_up", "growing.pb"))
        with open(growing, "ab") as out:
            out.write(data[offset:])
        time.sleep(3)  # past the header grace of the last empty files
        body, seconds = scrape(port)
        longest_scrape = max(longest_scrape, seconds)

        checks.expect(exporter.poll() is None, "the exporter still runs")
        checks.expect(longest_scrape < 1.0, f"every scrape took under 1 s ({longest_scrape:.3f} s)")
        checks.expect(value_for(body, "clwleak_snapshots", "growing.pb") == 200,
                      "growing.pb was read to its last snapshot", value_for(body, "clwleak_snapshots", "growing.pb"))
        per_request = value_for(body, "clwleak_leak_bytes_per_request", "growing.pb")
        checks.expect(per_request is not None and abs(per_request - LEAK_PER_REQUEST) < 1,
                      f"growing.pb leaks {LEAK_PER_REQUEST} B per request", per_request)
        checks.expect(value_for(body, "clwleak_complete", "growing.pb") == 1,
                      "growing.pb ended cleanly", value_for(body, "clwleak_complete", "growing.pb"))
        for reason, expected in (("truncated", 1), ("removed", 1), ("replaced", 1), ("corrupt", 1)):
            checks.expect(errors(body, reason) == expected,
                          f"{reason}: counted {expected}", errors(body, reason))
        # The 500 empty files, and truncated.pb read afresh: its 100 bytes hold no whole header.
        checks.expect(errors(body, "no_header") == 501,
                      "each of the 500 empty files and the truncated file counted once",
                      errors(body, "no_header"))
        checks.expect(value_for(body, "clwleak_up", "garbage.pb") == 0,
                      "garbage.pb is down, its last answers kept")
        checks.expect(value_for(body, "clwleak_up", "replaced.pb") == 1,
                      "the file that replaced replaced.pb is followed")
        checks.expect(value_for(body, "clwleak_up", "deleted.pb") is None,
                      "deleted.pb's series are gone")
        checks.expect(value_for(body, "clwleak_snapshots", "truncated.pb") is None,
                      "truncated.pb (now 100 bytes, no whole header) has no series")
        checks.expect(body.endswith("# EOF\n") or "# EOF" not in body, "the page is whole")
    finally:
        for connection in idle:
            connection.close()
        if exporter is not None:
            exporter.terminate()
            try:
                _, stderr = exporter.communicate(timeout=20)
                checks.expect(exporter.returncode == 0, "the exporter exits 0 on SIGTERM",
                              (exporter.returncode, stderr[-500:]))
            except subprocess.TimeoutExpired:
                exporter.kill()
                checks.expect(False, "the exporter exits on SIGTERM")
        shutil.rmtree(work, ignore_errors=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
