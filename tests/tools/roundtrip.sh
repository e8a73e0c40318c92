#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Renders the mixed registry in the text format, checks it with promtool and
# reads it back with client_python's parser. Fails loudly if a tool is missing.
# Usage: roundtrip.sh GEN_BINARY PYTHON3 SOURCE_DIR
set -eu
gen=$1 py=$2 src=$3
command -v promtool >/dev/null || { echo "FAIL: promtool not installed (make test installs prometheus)"; exit 1; }
$py -c 'import prometheus_client' || { echo "FAIL: python3-prometheus-client not installed"; exit 1; }
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
"$gen" text "$d/out.txt" "$d/expected.tsv"
promtool check metrics < "$d/out.txt"
echo "promtool check metrics: ok"
$py "$src/tests/tools/roundtrip_check.py" text "$d/out.txt" "$d/expected.tsv"
