#!/usr/bin/env python3
"""The kernel's own OOM kill against clwleak's forecast: clw-worker under the preload, in a memory
cgroup the test makes with a 400 MiB limit and no limit variable, leaks until the kernel kills it.

  --layout v1 | v2             the worker in the limited group itself (cgroup v1 memory.limit_in_bytes,
                               cgroup v2 memory.max)
  --layout v1-nested | v2-nested  the worker in a child group with no limit; its parent holds the limit
  --layout settings            a short run in a limited group with CLW_MEMORY_LIMIT set above the
                               cgroup's limit, whose limit is lowered while it runs

For the kill layouts it checks: the kernel SIGKILLs the worker (exit 137) and counts an OOM kill in the
group; the file as it stood at ~45% of the run (copied while growing, when the group's use passed 45% of
the limit) names the cgroup as the limit's source and predicts the kill (snapshot time + time_to_oom_s,
from the worker's start) within 15% of when it happened; the memory in use is the group's and not
shared. The settings layout checks that the setting wins, that the report warns it is above the
kernel's limit, and that the change of the cgroup's limit is reported.

Needs root and a memory controller in a mounted hierarchy of the asked version (cgroup2: enabled in
cgroup.subtree_control, which the test does when it can); otherwise it exits 77 (skipped) saying why.
Groups are named clwleak-test-<pid>, made at the root of the mounted hierarchy, and always removed
(processes moved out and killed first); groups left by a killed earlier run are removed at start.
Standard library only.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
from checks import Checks, environment_without_profiler  # noqa: E402  (tests/integration/checks.py)

SKIP = 77
LIMIT = 400 << 20
LOWERED_LIMIT = 300 << 20
COPY_AT_USE = 0.45      # copy the growing file when the group's use passes this share of the limit
TOLERANCE = 0.15
MAX_LIFETIME_S = 90     # the worker must be killed well before this
GROUP_PREFIX = "clwleak-test-"


class Skip(Exception):
    pass


# --- the hierarchy ------------------------------------------------------------------------------


def mounts():
    """(fstype, root, mount point, super options) of every cgroup mount, from mountinfo."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            separator = fields.index("-", 6)
            fstype, options = fields[separator + 1], fields[separator + 3]
            if fstype in ("cgroup", "cgroup2"):
                decode = lambda path: re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path)
                found.append((fstype, decode(fields[3]), decode(fields[4]), options.split(",")))
    return found


class Hierarchy:
    """Where to make groups: the mount point of the memory controller's hierarchy of `version`."""

    def __init__(self, version):
        self.version = version
        if os.geteuid() != 0:
            raise Skip("needs root to make cgroups")
        if version == 1:
            candidates = [m for m in mounts() if m[0] == "cgroup" and "memory" in m[3]]
            if not candidates:
                raise Skip("no cgroup v1 hierarchy with the memory controller is mounted")
        else:
            candidates = [m for m in mounts() if m[0] == "cgroup2"]
            if not candidates:
                raise Skip("no cgroup2 hierarchy is mounted")
        self.root = candidates[0][2]
        if version == 2:
            controllers = read(os.path.join(self.root, "cgroup.controllers")).split()
            if "memory" not in controllers:
                raise Skip(f"cgroup2 at {self.root} has no memory controller (controllers: "
                           f"{' '.join(controllers) or 'none'}; memory is bound to a v1 hierarchy)")
            self.enable_memory(self.root)

    def enable_memory(self, directory):
        control = os.path.join(directory, "cgroup.subtree_control")
        if "memory" in read(control).split():
            return
        try:
            write(control, "+memory")
        except OSError as error:
            raise Skip(f"cannot enable the memory controller in {control}: {error}")

    def limit_file(self):
        return "memory.max" if self.version == 2 else "memory.limit_in_bytes"

    def usage_file(self):
        return "memory.current" if self.version == 2 else "memory.usage_in_bytes"

    def oom_kills(self, directory):
        """The kernel's count of OOM kills in the group (v2 memory.events, v1 memory.oom_control)."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            for line in read(os.path.join(directory, name)).splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except OSError:
            pass
        return None

    def remove_leftovers(self):
        """Groups of earlier runs whose test process is gone (a test killed by its timeout)."""
        for name in os.listdir(self.root):
            match = re.fullmatch(GROUP_PREFIX + r"(\d+)", name)
            if match and not os.path.exists(f"/proc/{match.group(1)}"):
                remove_group(self, os.path.join(self.root, name))


def read(path):
    with open(path) as f:
        return f.read()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def pids_below(directory):
    pids = []
    for current, subdirectories, _ in os.walk(directory):
        try:
            pids += [int(p) for p in read(os.path.join(current, "cgroup.procs")).split()]
        except OSError:
            pass
    return pids


def remove_group(hierarchy, directory):
    """Moves every process out of `directory` and the groups below it, kills them, removes the
    groups (deepest first)."""
    if not os.path.isdir(directory):
        return
    for pid in pids_below(directory):
        try:
            write(os.path.join(hierarchy.root, "cgroup.procs"), str(pid))
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for current, _, _ in sorted(os.walk(directory), key=lambda entry: -len(entry[0])):
        for attempt in range(50):
            try:
                os.rmdir(current)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)  # a killed process leaves its group a moment later
        else:
            print(f"warning: could not remove {current}", flush=True)


# --- the worker ----------------------------------------------------------------------------------


def worker_environment(args, output, memory_limit=None):
    """No limit variable unless the test sets one: the limit must come from the cgroup."""
    env = environment_without_profiler()
    env["LD_PRELOAD"] = args.preload
    env["CLWLEAK_OUTPUT"] = output
    env["CLWLEAK_INTERVAL"] = "1s"
    if memory_limit is not None:
        env["CLW_MEMORY_LIMIT"] = memory_limit
    return env


def start_worker(args, group_directory, output, worker_args, memory_limit=None):
    """Starts clw-worker inside the group (it joins before exec, so the preload starts there)."""
    procs = os.path.join(group_directory, "cgroup.procs")

    def join_group():
        with open(procs, "w") as f:
            f.write(str(os.getpid()))

    command = [args.worker, *worker_args]
    print("$ " + " ".join(command) + f"   (in {group_directory})", flush=True)
    with open(output + ".stderr", "w") as stderr:
        return subprocess.Popen(command, env=worker_environment(args, output, memory_limit),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                preexec_fn=join_group, cwd=args.workdir)


def analyze_json(args, path, *options):
    result = subprocess.run([args.analyzer, "--format", "json", *options, path], capture_output=True,
                            text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"clw-leak-analyze {path} exited {result.returncode}: {result.stderr}")
    return json.loads(result.stdout)


def analyze_text(args, path):
    result = subprocess.run([args.analyzer, path], capture_output=True, text=True, timeout=120,
                            check=False)
    return result.stdout


def memory(report):
    return report["files"][0]["memory"] if "files" in report else report["memory"]


def file_report(report):
    return report["files"][0] if "files" in report else report


# --- the layouts ---------------------------------------------------------------------------------


def run_until_killed(args, checks, hierarchy, nested):
    """The worker leaks in a 400 MiB group until the kernel kills it; the mid-run forecast is
    compared with the kill."""
    top = os.path.join(hierarchy.root, f"{GROUP_PREFIX}{os.getpid()}")
    os.mkdir(top)
    write(os.path.join(top, hierarchy.limit_file()), str(LIMIT))
    if hierarchy.version == 2 and os.path.exists(os.path.join(top, "memory.swap.max")):
        write(os.path.join(top, "memory.swap.max"), "0")  # killed at the limit, not swapped
    if hierarchy.version == 1 and os.path.exists(os.path.join(top, "memory.memsw.limit_in_bytes")):
        write(os.path.join(top, "memory.memsw.limit_in_bytes"), str(LIMIT))
    worker_group = top
    if nested:
        if hierarchy.version == 2:
            hierarchy.enable_memory(top)
        worker_group = os.path.join(top, "worker")
        os.mkdir(worker_group)
    limit_group = "/" + os.path.relpath(top, hierarchy.root)

    output = os.path.join(args.workdir, f"{args.layout}.pb")
    midrun = os.path.join(args.workdir, f"{args.layout}.midrun.pb")
    for path in (output, midrun):
        if os.path.exists(path):
            os.remove(path)
    started = time.monotonic()
    worker = start_worker(args, worker_group, output, ["--progress", "5"])
    copied_at = None
    try:
        usage_path = os.path.join(top, hierarchy.usage_file())
        while worker.poll() is None and time.monotonic() - started < MAX_LIFETIME_S:
            if copied_at is None and int(read(usage_path)) >= COPY_AT_USE * LIMIT:
                shutil.copyfile(output, midrun)
                copied_at = time.monotonic() - started
                print(f"copied the growing file at {copied_at:.1f} s "
                      f"({int(read(usage_path)) >> 20} MiB in use)", flush=True)
            time.sleep(0.05)
        if worker.poll() is None:
            worker.kill()
        code = worker.wait()
        died_at = time.monotonic() - started
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    oom_kills = (hierarchy.oom_kills(top) or 0) + (hierarchy.oom_kills(worker_group) or 0 if nested else 0)
    print(f"worker ended after {died_at:.1f} s, status {code}; the kernel counted {oom_kills} OOM kill(s)",
          flush=True)
    with open(output + ".stderr") as f:
        sys.stdout.write(f.read()[-2000:])

    checks.expect(code == -signal.SIGKILL, "the worker was SIGKILLed (exit status 137)",
                  f"status {code} after {died_at:.1f} s")
    checks.expect(oom_kills >= 1, "the kernel's OOM killer counted the kill in the group",
                  f"oom_kill {oom_kills}")
    if not checks.expect(copied_at is not None, "the growing file was copied mid-run",
                         "the worker died before its group's use reached 45% of the limit"):
        return
    checks.expect(0.3 <= copied_at / died_at <= 0.6,
                  f"the copy was taken at {copied_at / died_at:.0%} of the worker's life",
                  "expected 30-60%")

    report = analyze_json(args, midrun)
    mem = memory(report)
    facts = file_report(report)
    print(json.dumps(mem, indent=1), flush=True)
    checks.expect(mem["limit_bytes"] == LIMIT, f"the limit is {LIMIT >> 20} MiB",
                  f"limit_bytes {mem['limit_bytes']}")
    want_source = f"cgroup v{hierarchy.version} {hierarchy.limit_file()} of {limit_group}"
    checks.expect(mem["limit_source"] == want_source, f"the limit's source is {want_source!r}",
                  f"limit_source {mem['limit_source']!r}")
    checks.expect(mem["limit_check"] == "enforced", "the limit used is the kernel's",
                  f"limit_check {mem['limit_check']}")
    checks.expect(mem["in_use_source"].startswith(f"cgroup v{hierarchy.version} ") and
                  mem["in_use_source"].endswith(f" of {limit_group}"),
                  "memory in use is the limited group's", f"in_use_source {mem['in_use_source']!r}")
    checks.expect(mem["in_use_processes"] == 1 and mem["in_use_shared"] is False,
                  "the group's use is the worker's alone",
                  f"in_use_processes {mem['in_use_processes']}")
    time_to_oom = facts.get("time_to_oom_s")
    if not checks.expect(time_to_oom is not None, "the mid-run file projects an OOM kill",
                         f"time_to_oom_reason {facts.get('time_to_oom_reason')}"):
        return
    snapshot_at = facts["duration_s"]
    predicted = snapshot_at + time_to_oom
    error = abs(predicted - died_at) / died_at
    print(f"forecast: last snapshot at {snapshot_at:.1f} s + time to OOM {time_to_oom:.1f} s = "
          f"{predicted:.1f} s; killed at {died_at:.1f} s ({error:.1%} off)", flush=True)
    checks.expect(error <= TOLERANCE,
                  f"the forecast ({predicted:.1f} s) is within {TOLERANCE:.0%} of the kill "
                  f"({died_at:.1f} s)", f"{error:.1%} off")
    print("\n".join(analyze_text(args, midrun).splitlines()[:3]), flush=True)


def run_with_setting(args, checks, hierarchy):
    """CLW_MEMORY_LIMIT above the cgroup's limit, and the cgroup's limit lowered mid-run."""
    top = os.path.join(hierarchy.root, f"{GROUP_PREFIX}{os.getpid()}")
    os.mkdir(top)
    write(os.path.join(top, hierarchy.limit_file()), str(LIMIT))
    output = os.path.join(args.workdir, "settings.pb")
    if os.path.exists(output):
        os.remove(output)
    worker = start_worker(args, top, output, ["--duration", "4", "--leak-bytes", "1024",
                                              "--progress", "0"], memory_limit="2GiB")
    try:
        time.sleep(2)
        write(os.path.join(top, hierarchy.limit_file()), str(LOWERED_LIMIT))
        code = worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    checks.expect(code == 0, "the worker ran to its end", f"status {code}")
    mem = memory(analyze_json(args, output))
    print(json.dumps(mem, indent=1), flush=True)
    checks.expect(mem["limit_bytes"] == 2 << 30 and mem["limit_source"] == "CLW_MEMORY_LIMIT",
                  "the setting wins", f"{mem['limit_bytes']} from {mem['limit_source']}")
    checks.expect(mem["enforced_limit_bytes"] == LOWERED_LIMIT,
                  "the kernel's limit as of the last snapshot is the lowered one",
                  f"enforced_limit_bytes {mem['enforced_limit_bytes']}")
    checks.expect(mem["limit_check"] == "setting_above", "the setting is reported above the kernel's",
                  f"limit_check {mem['limit_check']}")
    changes = [change["limit_bytes"] for change in mem["enforced_limit_changes"]]
    checks.expect(changes == [LIMIT, LOWERED_LIMIT], "the change of the cgroup's limit is reported",
                  f"enforced_limit_changes {changes}")
    text = analyze_text(args, output)
    print("\n".join(text.splitlines()[:4]), flush=True)
    checks.expect("[clw] Warning: CLW_MEMORY_LIMIT (2.0 GiB) is above the limit the kernel enforces"
                  in text, "the text report warns about the setting")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layout", required=True,
                        choices=["v1", "v1-nested", "v2", "v2-nested", "settings"])
    parser.add_argument("--worker", required=True)
    parser.add_argument("--analyzer", required=True)
    parser.add_argument("--preload", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    for name in ("worker", "analyzer", "preload", "workdir"):
        setattr(args, name, os.path.abspath(getattr(args, name)))
    os.makedirs(args.workdir, exist_ok=True)

    try:
        if args.layout == "settings":
            try:
                hierarchy = Hierarchy(2)
            except Skip:
                hierarchy = Hierarchy(1)
        else:
            hierarchy = Hierarchy(1 if args.layout.startswith("v1") else 2)
    except Skip as reason:
        print(f"SKIP: {reason}")
        return SKIP

    checks = Checks()
    hierarchy.remove_leftovers()
    # SIGTERM (ctest's timeout, a user) must still remove the groups: turn it into an exception.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    try:
        if args.layout == "settings":
            run_with_setting(args, checks, hierarchy)
        else:
            run_until_killed(args, checks, hierarchy, nested=args.layout.endswith("-nested"))
    finally:
        remove_group(hierarchy, os.path.join(hierarchy.root, f"{GROUP_PREFIX}{os.getpid()}"))
    print(f"{checks.failed} check(s) failed" if checks.failed else "all checks passed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
