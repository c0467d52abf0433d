#!/usr/bin/env python3
"""Runs the CI examples of scripts/ci/ locally, as their CI systems would, against the build tree.

Each YAML file is parsed (python3-yaml) and its job is executed step by step in a fresh workspace:
shell steps (GitHub `run:`, GitLab `script:`) really run, under `bash -eo pipefail` as the runners
do, with the example's own environment; the install-and-build steps are replaced by the build tree
(PATH starts with the build's scripts/ and bin/, where clw-leak-run finds ../lib/libclwleak.so)
and TEST_COMMAND names this test's program; the actions GitHub provides (`uses:`) are simulated:
checkout is the workspace, cache/restore and cache/save keep a directory per key, upload-artifact
and GitLab's `artifacts:` copy the files, action-junit-report parses the JUnit file.

Scenarios (each asserts the job's outcome, the failing step, the JUnit report's test cases, the
gate names, the measured leak and the leaking function, and the artifacts):
  github: push to main with the clean program   -> passes, stores the baseline in the cache
          pull request with the leaking program -> fails in "Leak gates": --fail-on-leak and
                                                   --baseline fail in leaks.xml
          pull request with the clean program   -> passes, both gates pass
  gitlab: the same three, the baseline being the default branch's leaks.pb artifact
Exit status 0 when every check passed, 1 otherwise, 77 (skip) without python3-yaml.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
from checks import Checks, environment_without_profiler  # noqa: E402  (tests/integration/checks.py)

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml is not installed (Debian package python3-yaml; scripts/test installs "
          "it when it can)")
    sys.exit(77)

LEAK_BYTES_PER_REQUEST = 2000   # the truth ci_unit_tests.c prints (CI_LEAK=1)
PER = 1000                      # the analyzer's default --per
LEAKING_FUNCTION = "ci_fixture_leak"
STEP_TIMEOUT = 120


def base_environment(args):
    """The runner's environment: ours without profiler settings, the build tree first on PATH."""
    env = environment_without_profiler()
    env["PATH"] = os.pathsep.join([os.path.join(args.build_dir, "scripts"),
                                   os.path.join(args.build_dir, "bin"), env.get("PATH", "")])
    return env


def job_environment(args, example_env, program):
    env = base_environment(args)
    for key, value in example_env.items():
        env[str(key)] = str(value)
    env["TEST_COMMAND"] = program
    env["CLWLEAK_INTERVAL"] = args.interval  # more snapshots from a 1.5 s test binary
    return env


def run_shell(script, cwd, env, log_name):
    """One shell step, as the runners run it: bash -eo pipefail. Returns (exit status, output)."""
    path = os.path.join(cwd, "..", log_name + ".sh")
    with open(path, "w") as f:
        f.write(script)
    try:
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", path],
                                cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=STEP_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return 124, f"step timed out after {STEP_TIMEOUT}s"
    with open(path[:-3] + ".log", "w") as f:
        f.write(result.stdout)
    return result.returncode, result.stdout


def parse_junit(path):
    """[(name, failure message or None, failure text)] of a JUnit file."""
    root = ET.parse(path).getroot()
    cases = []
    for case in root.iter("testcase"):
        failure = case.find("failure")
        cases.append((case.get("name"), None if failure is None else failure.get("message"),
                      "" if failure is None else (failure.text or "")))
    return root, cases


# --- GitHub Actions -------------------------------------------------------------------------------

def github_expression(text, context):
    """${{ github.X }} in `with:` values; anything else is not understood by this simulator."""
    def substitute(match):
        name = match.group(1).strip()
        if not name.startswith("github.") or name[7:] not in context["github"]:
            raise ValueError(f"expression not simulated: {name}")
        return context["github"][name[7:]]
    return re.sub(r"\$\{\{(.*?)\}\}", substitute, str(text))


def github_condition(condition, context, job_ok):
    """Evaluates the `if:` forms the example uses: always(), success(), failure() and
    github.X == / != 'literal', joined by &&. A step without `if` runs on success()."""
    if condition is None:
        return job_ok
    result = True
    status_function = False
    for term in (t.strip() for t in str(condition).split("&&")):
        if term == "always()":
            value, status_function = True, True
        elif term == "success()":
            value, status_function = job_ok, True
        elif term == "failure()":
            value, status_function = not job_ok, True
        else:
            match = re.fullmatch(r"github\.(\w+)\s*(==|!=)\s*'([^']*)'", term)
            if not match:
                raise ValueError(f"condition not simulated: {term}")
            actual = context["github"][match.group(1)]
            value = (actual == match.group(3)) == (match.group(2) == "==")
        result = result and value
    return result if status_function else (result and job_ok)


def run_github(args, workflow, name, program, github, cache, checks):
    """One workflow run; returns its record: ok, failed step ids, artifacts, junit report."""
    job = workflow["jobs"]["leak-check"]
    work = os.path.join(args.workdir, "github-" + name)
    shutil.rmtree(work, ignore_errors=True)
    workspace = os.path.join(work, "workspace")
    os.makedirs(workspace)
    context = {"github": github}
    env = job_environment(args, {**workflow.get("env", {}), **job.get("env", {})}, program)
    record = {"ok": True, "failed": [], "ran": [], "artifacts": {}, "report": None}
    for index, step in enumerate(job["steps"]):
        step_id = step.get("id", f"step{index}")
        if not github_condition(step.get("if"), context, record["ok"]):
            continue
        uses = step.get("uses", "")
        inputs = {k: github_expression(v, context) for k, v in (step.get("with") or {}).items()}
        if step_id in ("install-clwleak", "build"):
            record["ran"].append(step_id + " (replaced by the build tree)")
            continue
        record["ran"].append(step_id)
        if uses.startswith("actions/checkout@"):
            continue
        if uses.startswith("actions/cache/restore@"):
            keys = [inputs["key"]] + [k for k in str(inputs.get("restore-keys", "")).split("\n") if k]
            hit = next((cache[k] for k in keys if k in cache), None)
            if hit is None:  # restore-keys are prefixes, newest entry first
                hit = next((cache[k] for k in reversed(list(cache))
                            if any(k.startswith(p) for p in keys[1:])), None)
            if hit is not None:
                shutil.copytree(hit, os.path.join(workspace, inputs["path"]))
            continue
        if uses.startswith("actions/cache/save@"):
            saved = os.path.join(args.workdir, "github-cache", inputs["key"])
            shutil.rmtree(saved, ignore_errors=True)
            shutil.copytree(os.path.join(workspace, inputs["path"]), saved)
            cache[inputs["key"]] = saved
            continue
        if uses.startswith("actions/upload-artifact@"):
            for path in filter(None, (p.strip() for p in inputs["path"].split("\n"))):
                source = os.path.join(workspace, path)
                if os.path.exists(source):
                    record["artifacts"][path] = source
            continue
        if uses.startswith("mikepenz/action-junit-report@"):
            report = os.path.join(workspace, inputs["report_paths"])
            record["report"] = parse_junit(report) if os.path.exists(report) else None
            continue
        if uses:
            raise ValueError(f"action not simulated: {uses}")
        status, output = run_shell(step["run"], workspace, {**env, **(step.get("env") or {})},
                                   f"{step_id}")
        if status != 0:
            record["ok"] = False
            record["failed"].append(step_id)
            print(f"  [github {name}] step {step_id} exited {status}; its output:\n"
                  + "\n".join("    " + line for line in output.splitlines()[-25:]))
    return record


# --- GitLab CI ------------------------------------------------------------------------------------

def run_gitlab(args, pipeline, name, program, variables, baseline, checks):
    """One run of the job: `script` under bash -eo pipefail, then `artifacts:` (when: always)."""
    job = pipeline["leak-check"]
    work = os.path.join(args.workdir, "gitlab-" + name)
    shutil.rmtree(work, ignore_errors=True)
    workspace = os.path.join(work, "workspace")
    os.makedirs(workspace)
    if baseline:  # what the script's artifacts-API download leaves (no GitLab API here)
        os.makedirs(os.path.join(workspace, "clwleak-baseline"))
        shutil.copy(baseline, os.path.join(workspace, "clwleak-baseline", "leaks.pb"))
    env = job_environment(args, job.get("variables", {}), program)
    env.update(variables)
    script = "\n".join(job["script"]) + "\n"
    status, output = run_shell(script, workspace, env, "script")
    record = {"ok": status == 0, "artifacts": {}, "report": None, "output": output}
    if status != 0:
        print(f"  [gitlab {name}] script exited {status}; its output:\n"
              + "\n".join("    " + line for line in output.splitlines()[-25:]))
    artifacts = job["artifacts"]
    if artifacts.get("when") == "always" or status == 0:
        keep = os.path.join(work, "artifacts")
        os.makedirs(keep)
        for path in artifacts["paths"]:
            if os.path.exists(os.path.join(workspace, path)):
                record["artifacts"][path] = shutil.copy(os.path.join(workspace, path), keep)
        junit = artifacts.get("reports", {}).get("junit")
        if junit and os.path.exists(os.path.join(workspace, junit)):
            record["report"] = parse_junit(os.path.join(workspace, junit))
    return record


# --- the checks on a run --------------------------------------------------------------------------

def check_passing_run(checks, label, record, gates):
    checks.expect(record["ok"], f"{label}: the job passes")
    checks.expect(record["report"] is not None, f"{label}: leaks.xml was written")
    if record["report"] is None:
        return
    root, cases = record["report"]
    names = [case[0] for case in cases]
    checks.expect(len(cases) == len(gates) and all(any(n.startswith(g) for n in names) for g in gates),
                  f"{label}: one test case per gate {gates}", names)
    checks.expect(all(case[1] is None for case in cases) and root.get("failures", "0") == "0",
                  f"{label}: no test case failed", cases)
    checks.expect("leaks.pb" in record["artifacts"], f"{label}: the snapshot is kept as an artifact",
                  record["artifacts"])


def check_failing_run(checks, label, record, gates):
    checks.expect(not record["ok"], f"{label}: the job fails")
    checks.expect(record["report"] is not None, f"{label}: leaks.xml was written for the report")
    checks.expect("leaks.pb" in record["artifacts"] and "leaks.xml" in record["artifacts"],
                  f"{label}: the snapshot and the report are kept as artifacts", record["artifacts"])
    if record["report"] is None:
        return
    root, cases = record["report"]
    failed = {case[0]: case for case in cases if case[1] is not None}
    checks.expect(root.get("failures") == str(len(gates)) or
                  any(s.get("failures") == str(len(gates)) for s in root.iter("testsuite")),
                  f"{label}: the JUnit report counts {len(gates)} failures", ET.tostring(root)[:300])
    for gate in gates:
        case = next((c for name, c in failed.items() if name.startswith(gate)), None)
        if not checks.expect(case is not None, f"{label}: the failing gate {gate} is in leaks.xml",
                             list(failed)):
            continue
        _, message, text = case
        checks.expect(LEAKING_FUNCTION in text, f"{label}: {gate}'s failure names {LEAKING_FUNCTION}",
                      text[:400])
        measured = re.search(r"measured[: ]+([0-9.]+) (B|KiB|MiB|GiB) per ([0-9,]+) requests",
                             message + "\n" + text)
        if checks.expect(measured is not None, f"{label}: {gate}'s failure gives the measured rate",
                         message):
            factor = {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3}[measured.group(2)]
            per_request = float(measured.group(1)) * factor / int(measured.group(3).replace(",", ""))
            checks.expect(abs(per_request - LEAK_BYTES_PER_REQUEST) <= 0.05 * LEAK_BYTES_PER_REQUEST,
                          f"{label}: {gate} measured {per_request:.0f} B per request, the truth is "
                          f"{LEAK_BYTES_PER_REQUEST}", message)


def check_static(checks, workflow, pipeline):
    """What the simulation cannot run: the install steps and the report/artifact wiring."""
    job = workflow["jobs"]["leak-check"]
    steps = {s.get("id", s.get("name")): s for s in job["steps"]}
    triggers = workflow.get("on", workflow.get(True, {}))
    checks.expect("pull_request" in triggers and "push" in triggers,
                  "github: runs on pushes and pull requests", triggers)
    install = steps.get("install-clwleak", {}).get("run", "")
    checks.expect("$CLWLEAK_DEB_URL" in install and "apt-get install" in install,
                  "github: the install step installs the .deb from CLWLEAK_DEB_URL", install)
    checks.expect(str(job.get("container", "")).startswith("debian:12"),
                  "github: the job runs in Debian 12, for which the .deb is built")
    uses = [s.get("uses", "").split("@")[0] for s in job["steps"]]
    for action in ("actions/checkout", "actions/cache/restore", "mikepenz/action-junit-report",
                   "actions/upload-artifact", "actions/cache/save"):
        checks.expect(action in uses, f"github: uses {action}")
    gitlab = pipeline["leak-check"]
    before = "\n".join(gitlab.get("before_script", []))
    checks.expect("$CLWLEAK_DEB_URL" in before and "apt-get install" in before,
                  "gitlab: before_script installs the .deb from CLWLEAK_DEB_URL", before)
    checks.expect(gitlab["artifacts"].get("when") == "always" and
                  gitlab["artifacts"].get("reports", {}).get("junit") == "leaks.xml",
                  "gitlab: artifacts are kept on failure and leaks.xml is the JUnit report",
                  gitlab["artifacts"])
    checks.expect(str(gitlab.get("image", "")).startswith("debian:12"), "gitlab: image debian:12")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--leaky", required=True)
    parser.add_argument("--clean", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--interval", default="100ms")
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    for tool in ("scripts/clw-leak-run", "bin/clw-leak-analyze", "lib/libclwleak.so"):
        if not os.path.exists(os.path.join(args.build_dir, tool)):
            print(f"FAIL: {tool} is not in the build tree {args.build_dir}")
            return 1

    with open(os.path.join(args.source_dir, "scripts/ci/github-actions.yml")) as f:
        workflow = yaml.safe_load(f)
    with open(os.path.join(args.source_dir, "scripts/ci/gitlab-ci.yml")) as f:
        pipeline = yaml.safe_load(f)
    checks = Checks()
    check_static(checks, workflow, pipeline)
    baseline_gates = ["--fail-on-leak", "--baseline"]

    # GitHub Actions: main stores the baseline, pull requests are compared with it.
    cache = {}
    main_run = run_github(args, workflow, "main-clean", args.clean,
                          {"ref": "refs/heads/main", "event_name": "push", "sha": "1" * 40},
                          cache, checks)
    check_passing_run(checks, "github push main, clean", main_run, ["--fail-on-leak"])
    checks.expect(list(cache) == ["clwleak-baseline-" + "1" * 40] and os.path.exists(
        os.path.join(cache.get("clwleak-baseline-" + "1" * 40, ""), "leaks.pb")),
        "github push main: the snapshot is saved as the baseline", cache)
    pull = {"ref": "refs/pull/7/merge", "event_name": "pull_request", "sha": "2" * 40}
    leaky_run = run_github(args, workflow, "pr-leaky", args.leaky, pull, cache, checks)
    check_failing_run(checks, "github pull request, leaky", leaky_run, baseline_gates)
    checks.expect(leaky_run["failed"] == ["leak-gates"] and "leak-run" in leaky_run["ran"],
                  "github pull request, leaky: the tests pass, the 'Leak gates' step fails the job",
                  leaky_run["failed"])
    checks.expect(len(cache) == 1, "github pull request: no baseline saved from a pull request")
    clean_run = run_github(args, workflow, "pr-clean", args.clean,
                           {**pull, "sha": "3" * 40}, cache, checks)
    check_passing_run(checks, "github pull request, clean", clean_run, baseline_gates)

    # GitLab CI: the default branch's artifact is the baseline of merge requests.
    default_branch = {"CI_COMMIT_REF_NAME": "main", "CI_DEFAULT_BRANCH": "main",
                      "CI_COMMIT_BRANCH": "main", "CI_JOB_NAME": "leak-check"}
    feature_branch = {**default_branch, "CI_COMMIT_REF_NAME": "feature", "CI_COMMIT_BRANCH": "feature"}
    main_job = run_gitlab(args, pipeline, "main-clean", args.clean, default_branch, None, checks)
    check_passing_run(checks, "gitlab main, clean", main_job, ["--fail-on-leak"])
    checks.expect("no baseline snapshot" in main_job["output"],
                  "gitlab main: says the baseline gate is skipped", main_job["output"][-300:])
    baseline = main_job["artifacts"].get("leaks.pb")
    leaky_job = run_gitlab(args, pipeline, "mr-leaky", args.leaky, feature_branch, baseline, checks)
    check_failing_run(checks, "gitlab merge request, leaky", leaky_job, baseline_gates)
    clean_job = run_gitlab(args, pipeline, "mr-clean", args.clean, feature_branch, baseline, checks)
    check_passing_run(checks, "gitlab merge request, clean", clean_job, baseline_gates)

    print(f"{'FAILED' if checks.failed else 'PASSED'}: {checks.failed} failed check(s); "
          f"logs in {args.workdir}")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
