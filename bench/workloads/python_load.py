"""Macro workload "real program": a fixed Python 3 script run by the system's python3.

The interpreter is a real C program that nobody rebuilt for the benchmark: its own object
allocator (pymalloc) carves small objects out of 256 KiB arenas it gets with mmap, while larger
objects, the sqlite3 library and the json module's buffers go through malloc. The script does a
stable mix of what a Python service does: build and serialize records as JSON, parse them back,
sort and group them, format strings, match regular expressions, and run an in-memory SQLite
database (libsqlite3.so, a native library with its own allocation pattern).

    python3 bench/workloads/python_load.py [SCALE]      # SCALE rounds, default 8; deterministic
"""
import json
import random
import re
import sqlite3
import sys


def make_records(rng, count):
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota"]
    return [
        {
            "id": i,
            "name": " ".join(rng.choice(words) for _ in range(rng.randint(1, 6))),
            "tags": [rng.choice(words) for _ in range(rng.randint(0, 8))],
            "score": rng.random() * 1000,
            "payload": "x" * rng.randint(10, 3000),
        }
        for i in range(count)
    ]


def one_round(rng, database, round_number):
    records = make_records(rng, 4000)
    text = json.dumps(records)
    parsed = json.loads(text)
    groups = {}
    for record in parsed:
        groups.setdefault(record["name"].split(" ")[0], []).append(record)
    ranked = sorted(parsed, key=lambda record: (-record["score"], record["id"]))
    pattern = re.compile(r"(alpha|theta)\s+(\w+)")
    matches = sum(1 for record in ranked if pattern.search(record["name"]))
    lines = [f"{record['id']:06d} {record['score']:10.3f} {record['name']}" for record in ranked]
    database.executemany(
        "INSERT INTO items (round, id, name, score, payload) VALUES (?, ?, ?, ?, ?)",
        [(round_number, r["id"], r["name"], r["score"], r["payload"]) for r in records],
    )
    total = database.execute(
        "SELECT COUNT(*), SUM(LENGTH(payload)) FROM items WHERE round = ? AND score > 500",
        (round_number,),
    ).fetchone()
    database.execute("DELETE FROM items WHERE round < ?", (round_number - 1,))
    return len(text) + len(groups) + matches + len("\n".join(lines)) + total[0]


def main():
    scale = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    rng = random.Random(12345)
    database = sqlite3.connect(":memory:")
    database.execute(
        "CREATE TABLE items (round INTEGER, id INTEGER, name TEXT, score REAL, payload TEXT)"
    )
    database.execute("CREATE INDEX items_round ON items (round, score)")
    checksum = 0
    for round_number in range(scale):
        checksum += one_round(rng, database, round_number)
    database.close()
    print(f"python_load scale={scale} checksum={checksum}")


if __name__ == "__main__":
    main()
