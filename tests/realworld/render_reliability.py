#!/usr/bin/env python3
"""Renders the rows the real-world and fault tests appended (CLWLEAK_RELIABILITY_RESULTS=FILE,
tab-separated: test, subject, checked, outcome, details) as the markdown table of
docs/reliability.md, replacing the text between the two marker lines there.

  CLWLEAK_RELIABILITY_RESULTS=/tmp/rows.tsv ctest --test-dir build -L 'realworld|faults'
  tests/realworld/render_reliability.py /tmp/rows.tsv docs/reliability.md
"""
import sys

BEGIN = "<!-- results: begin (tests/realworld/render_reliability.py) -->"
END = "<!-- results: end -->"


def table(rows_path):
    rows = {}
    with open(rows_path, encoding="utf-8") as rows_file:
        for line in rows_file:
            fields = line.rstrip("\n").split("\t")
            if len(fields) == 5:
                rows[fields[0]] = fields  # the last run of a test wins
    out = ["| test | program or fault | checked | result |", "|---|---|---|---|"]
    for name in sorted(rows):
        _, subject, checked, outcome, details = (f.replace("|", "\\|") for f in rows[name])
        result = f"**{outcome}**" + (f" ({details})" if details else "")
        out.append(f"| `{name}` | {subject} | {checked} | {result} |")
    return "\n".join(out)


def main():
    rows_path, doc_path = sys.argv[1], sys.argv[2]
    with open(doc_path, encoding="utf-8") as doc:
        text = doc.read()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    text = text[:start] + "\n" + table(rows_path) + "\n" + text[end:]
    with open(doc_path, "w", encoding="utf-8") as doc:
        doc.write(text)


if __name__ == "__main__":
    main()
