#!/usr/bin/env bash
# ctest exporter.rules: the shipped alerting rules (scripts/prometheus/clwleak-rules.yml) pass
# `promtool check rules` and their unit tests (clwleak-rules_test.yml) with Debian's promtool.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/ensure_prometheus.sh"
promtool check rules "$here/../../scripts/prometheus/clwleak-rules.yml"
promtool test rules "$here/clwleak-rules_test.yml"
