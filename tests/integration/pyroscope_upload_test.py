#!/usr/bin/env python3
"""clw-pyroscope-upload against a fake Grafana Pyroscope ingest server (http.server, in this process).

The leaking CI test program (2000 B per request, ci_unit_tests.c) runs under clw-leak-run; its
snapshot is uploaded and the server checks what Pyroscope's /ingest API needs (docs/ecosystem.md):
POST, path /ingest, query name=APP{labels}, from <= until (unix seconds, the run's time),
format=pprof; basic auth and X-Scope-OrgID headers; a multipart/form-data body whose `profile`
part is a gzipped pprof profile (decoded here: the five sample types, ci_fixture_leak with its leak
of 2,000,000 B per 1000 requests and its live bytes) and whose `sample_type_config` part gives the
units of each sample type. Then: a ready .pb.gz is sent byte for byte; a server error exits 1 with
the HTTP status and the server's message; an unreachable server exits 1; bad input and bad options
exit 2 without sending anything.
"""
import argparse
import base64
import email.parser
import email.policy
import gzip
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
from checks import Checks, environment_without_profiler  # noqa: E402  (tests/integration/checks.py)

LEAK_BYTES_PER_REQUEST = 2000
TESTS = 300
LEAKING_FUNCTION = "ci_fixture_leak"
SAMPLE_TYPES = [("leaked_space", "bytes"), ("inuse_space", "bytes"), ("inuse_objects", "count"),
                ("alloc_space", "bytes"), ("alloc_objects", "count"), ("peak_inuse_space", "bytes")]


# --- a fake Pyroscope -----------------------------------------------------------------------------

class FakePyroscope(http.server.BaseHTTPRequestHandler):
    """Records every request. /ingest answers 200; /broken/ingest answers 500 like an overloaded
    ingester."""
    requests = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        url = urllib.parse.urlsplit(self.path)
        FakePyroscope.requests.append({"method": "POST", "path": url.path,
                                       "query": urllib.parse.parse_qs(url.query),
                                       "headers": self.headers, "body": body})  # case-insensitive
        status, answer = (500, b"ingester unavailable: too many requests") \
            if url.path.startswith("/broken/") else (200, b"")
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self):  # noqa: N802
        FakePyroscope.requests.append({"method": "GET", "path": self.path})
        self.send_response(405)
        self.end_headers()

    def log_message(self, *args):
        pass


def multipart_parts(content_type, body):
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    if not message.is_multipart():
        return {}
    return {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
            for part in message.iter_parts()}


# --- a small protobuf reader for pprof's profile.proto --------------------------------------------

def varint(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data):
    """[(field number, value)]: ints for varints, bytes for length-delimited fields."""
    out, pos = [], 0
    while pos < len(data):
        key, pos = varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(data, pos)
        elif wire == 2:
            length, pos = varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"wire type {wire}")
        out.append((number, value))
    return out


def ints(values):
    """A repeated int64 field: packed (bytes) or one varint per entry."""
    result = []
    for value in values:
        if isinstance(value, bytes):
            pos = 0
            while pos < len(value):
                number, pos = varint(value, pos)
                result.append(number)
        else:
            result.append(value)
    return result


def decode_profile(data):
    top = fields(data)
    strings = [v.decode() for n, v in top if n == 6]
    sample_types = []
    for n, v in top:
        if n == 1:
            f = dict(fields(v))
            sample_types.append((strings[f.get(1, 0)], strings[f.get(2, 0)]))
    functions = {}
    for n, v in top:
        if n == 5:
            f = dict(fields(v))
            functions[f.get(1)] = strings[f.get(2, 0)]
    locations = {}
    for n, v in top:
        if n == 4:
            f = fields(v)
            location_id = next(x for k, x in f if k == 1)
            locations[location_id] = [functions.get(dict(fields(line)).get(1)) for k, line in f
                                      if k == 4]
    samples = []
    for n, v in top:
        if n == 2:
            f = fields(v)
            stack = [name for loc in ints([x for k, x in f if k == 1])
                     for name in locations.get(loc, [])]
            samples.append((stack, ints([x for k, x in f if k == 2])))
    scalars = {n: v for n, v in top if isinstance(v, int)}
    return {"sample_types": sample_types, "functions": set(functions.values()), "samples": samples,
            "time_nanos": scalars.get(9, 0), "duration_nanos": scalars.get(10, 0),
            "default_sample_type": strings[scalars.get(14, 0)] if 14 in scalars else None}


# --- the test -------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--leaky", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    checks = Checks()
    upload_script = os.path.join(args.build_dir, "scripts", "clw-pyroscope-upload")
    env = environment_without_profiler("http_proxy", "https_proxy", "all_proxy", "no_proxy",
                                       "PYROSCOPE_URL")
    env["PATH"] = os.pathsep.join([os.path.join(args.build_dir, "bin"), env.get("PATH", "")])

    before_run = time.time()
    snapshot = os.path.join(args.workdir, "leaky.pb")
    run = subprocess.run([os.path.join(args.build_dir, "scripts", "clw-leak-run"), "--rate", "1",
                          "--interval", "100ms", "--output", snapshot, "--", args.leaky],
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    if run.returncode != 0:
        print(f"FAIL: clw-leak-run exited {run.returncode}: {run.stderr}")
        return 1
    after_run = time.time()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakePyroscope)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"

    def upload(*options, extra_env=None):
        before = len(FakePyroscope.requests)
        result = subprocess.run([upload_script, *options], env={**env, **(extra_env or {})},
                                capture_output=True, text=True, timeout=120, check=False)
        return result, FakePyroscope.requests[before:]

    # 1. A snapshot file, with labels, basic auth and a tenant.
    result, sent = upload("--url", url + "/", "--app-name", "clwleak-ci-test",
                          "--labels", "env=ci,branch=main", "--labels", "runner=local",
                          "--user", "alice", "--tenant", "team-a", snapshot,
                          extra_env={"PYROSCOPE_PASSWORD": "s3cret"})
    checks.expect(result.returncode == 0, "a snapshot file is uploaded (exit 0)",
                  (result.returncode, result.stderr))
    checks.expect(len(sent) == 1, "exactly one request", len(sent))
    if sent:
        request = sent[0]
        query = {k: v[0] for k, v in request["query"].items()}
        checks.expect(request["method"] == "POST" and request["path"] == "/ingest",
                      "POST /ingest", (request["method"], request["path"]))
        checks.expect(query.get("name") == "clwleak-ci-test{env=ci,branch=main,runner=local}",
                      "name=APP{labels}", query.get("name"))
        checks.expect(query.get("format") == "pprof", "format=pprof", query.get("format"))
        start, until = int(query.get("from", "0")), int(query.get("until", "0"))
        checks.expect(int(before_run) - 2 <= start <= until <= int(after_run) + 2 and until > start,
                      "from and until are the run's unix seconds", (before_run, start, until,
                                                                    after_run))
        checks.expect(request["headers"].get("Authorization") ==
                      "Basic " + base64.b64encode(b"alice:s3cret").decode(),
                      "basic auth from --user and $PYROSCOPE_PASSWORD",
                      request["headers"].get("Authorization"))
        checks.expect(request["headers"].get("X-Scope-OrgID") == "team-a",
                      "the tenant in X-Scope-OrgID", request["headers"].get("X-Scope-OrgID"))
        content_type = request["headers"].get("Content-Type", "")
        checks.expect(content_type.startswith("multipart/form-data; boundary="),
                      "a multipart/form-data body", content_type)
        parts = multipart_parts(content_type, request["body"])
        profile_bytes = parts.get("profile") or b""
        checks.expect(profile_bytes[:2] == b"\x1f\x8b", "the form field 'profile' is gzipped",
                      list(parts))
        try:
            profile = decode_profile(gzip.decompress(profile_bytes))
        except (OSError, ValueError, IndexError, StopIteration) as e:
            profile = None
            checks.expect(False, "the profile is a pprof protobuf", repr(e))
        if profile:
            checks.expect(profile["sample_types"] == SAMPLE_TYPES,
                          "sample types leaked_space, inuse_space, inuse_objects, alloc_space, "
                          "alloc_objects, peak_inuse_space", profile["sample_types"])
            checks.expect(profile["default_sample_type"] == "leaked_space",
                          "leaked_space is the default sample type", profile["default_sample_type"])
            checks.expect(LEAKING_FUNCTION in profile["functions"],
                          f"the profile names {LEAKING_FUNCTION}", sorted(profile["functions"])[:20])
            leaking = [values for stack, values in profile["samples"]
                       if stack and stack[0] == LEAKING_FUNCTION]
            leaked = sum(v[0] for v in leaking)
            inuse = sum(v[1] for v in leaking)
            objects = sum(v[2] for v in leaking)
            checks.expect(abs(leaked - 1000 * LEAK_BYTES_PER_REQUEST) <= 0.02 * 1000 *
                          LEAK_BYTES_PER_REQUEST,
                          f"{LEAKING_FUNCTION}'s leaked_space {leaked} is 2,000,000 B per 1000 "
                          "requests", leaking)
            checks.expect(inuse == TESTS * LEAK_BYTES_PER_REQUEST and objects == TESTS,
                          f"{LEAKING_FUNCTION}'s inuse_space {inuse} B in {objects} objects: the "
                          f"{TESTS} blocks it kept", leaking)
            checks.expect(profile["time_nanos"] // 10 ** 9 == start,
                          "from is the profile's start time", (profile["time_nanos"], start))
        try:
            config = json.loads(parts.get("sample_type_config") or b"{}")
        except ValueError:
            config = {}
        checks.expect(set(config) == {t for t, _ in SAMPLE_TYPES} and
                      config["leaked_space"]["units"] == "bytes" and
                      config["inuse_objects"]["units"] == "objects",
                      "the form field 'sample_type_config' gives each sample type's units", config)

    # 2. A ready .pb.gz goes out byte for byte; no labels: name=APP{}.
    ready = os.path.join(args.workdir, "leaks.pb.gz")
    subprocess.run([os.path.join(args.build_dir, "bin", "clw-leak-analyze"), "--format", "pprof",
                    "--per", "100", "-o", ready, snapshot], check=True, env=env, timeout=120)
    result, sent = upload("--url", url, "--app-name", "worker", "--from", "1700000000",
                          "--until", "1700000060", ready)
    checks.expect(result.returncode == 0 and len(sent) == 1, "a .pb.gz file is uploaded",
                  (result.returncode, result.stderr))
    if sent:
        query = {k: v[0] for k, v in sent[0]["query"].items()}
        parts = multipart_parts(sent[0]["headers"].get("Content-Type", ""), sent[0]["body"])
        with open(ready, "rb") as f:
            checks.expect(parts.get("profile") == f.read(), "the .pb.gz is sent unchanged")
        checks.expect(query.get("name") == "worker{}" and query.get("from") == "1700000000" and
                      query.get("until") == "1700000060", "name=worker{}, --from and --until",
                      query)
        checks.expect("Authorization" not in sent[0]["headers"] and
                      "X-Scope-OrgID" not in sent[0]["headers"], "no auth headers unless asked")

    # 3. The server fails: exit 1 with the status and the server's words.
    result, sent = upload("--url", url + "/broken", "--app-name", "worker", snapshot)
    checks.expect(result.returncode == 1 and "HTTP 500" in result.stderr and
                  "ingester unavailable" in result.stderr,
                  "a server error exits 1 and shows the status and the answer",
                  (result.returncode, result.stderr))
    # 4. Nobody listens: exit 1.
    server.shutdown()
    server.server_close()
    result, _ = upload("--url", url, "--app-name", "worker", "--timeout", "5", snapshot)
    checks.expect(result.returncode == 1 and "cannot reach" in result.stderr,
                  "an unreachable server exits 1 with 'cannot reach'",
                  (result.returncode, result.stderr))

    # 5. Bad input and options: exit 2, nothing sent (the server is down: a request would say so).
    not_a_profile = os.path.join(args.workdir, "notes.txt")
    with open(not_a_profile, "w") as f:
        f.write("not a profile\n")
    for what, options, message in [
            ("a file that is no profile", ["--app-name", "w", not_a_profile], "neither a clwleak"),
            ("a missing file", ["--app-name", "w", not_a_profile + ".missing"], "cannot read"),
            ("a label without '='", ["--app-name", "w", "--labels", "env", snapshot], "NAME=VALUE"),
            ("a label value with '}'", ["--app-name", "w", "--labels", "env=a}", snapshot],
             "must be non-empty"),
            ("no --app-name", [snapshot], "--app-name is required")]:
        result, _ = upload("--url", url, *options)
        checks.expect(result.returncode == 2 and message in result.stderr,
                      f"{what}: exit 2 with a clear message", (result.returncode, result.stderr))
    result, _ = upload("--app-name", "w", snapshot)
    checks.expect(result.returncode == 2 and "--url is required" in result.stderr,
                  "no --url: exit 2", (result.returncode, result.stderr))

    print(f"{'FAILED' if checks.failed else 'PASSED'}: {checks.failed} failed check(s)")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
