#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Labelled lookup + inc, promc beside client_golang in one run: builds the Go
# twin bench/lookup_go (GOPATH mode against Debian's
# golang-github-prometheus-client-golang-dev, under $PEERDIR, a scratch dir),
# runs `bench_core lookup` and the twin alternately REPS times (the first of
# the pair alternating too), and prints the median of every figure and the
# promc/go ratio of each row both have.
# Usage: bench/lookup.sh [BUILD_DIR] [REPS] [N]     (about 25 s per repetition)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
reps=${2:-5}
n=${3:-10000000}
P=${PEERDIR:-${TMPDIR:-/tmp}/promc-lookup-peers}
core=$build/bench/bench_core
[ -x "$core" ] || { echo "lookup.sh: $core missing; build first" >&2; exit 1; }
command -v go >/dev/null || { echo "lookup.sh: go is not installed (apt-get install golang-go golang-github-prometheus-client-golang-dev)" >&2; exit 1; }
mkdir -p "$P/gopath/src/lookupgo" "$P/bin"
cp "$root/bench/lookup_go/main.go" "$P/gopath/src/lookupgo/main.go"
(cd "$P/gopath/src/lookupgo" && GO111MODULE=off GOPATH=/usr/share/gocode:$P/gopath GOCACHE=$P/gocache \
  go build -o "$P/bin/lookup_go" .) || { echo "lookup.sh: the Go twin did not build" >&2; exit 1; }
res=$P/lookup.txt
: > "$res"
for rep in $(seq "$reps"); do
  if [ $((rep % 2)) -eq 1 ]; then order="promc go"; else order="go promc"; fi
  echo "rep $rep: $order" >&2
  for who in $order; do
    case $who in
      promc) "$core" lookup "$n" >> "$res" || { echo "lookup.sh: bench_core lookup failed" >&2; exit 1; } ;;
      go) "$P/bin/lookup_go" "$n" >> "$res" || { echo "lookup.sh: lookup_go failed" >&2; exit 1; } ;;
    esac
  done
done
echo "raw results: $res" >&2
/usr/bin/python3 - "$res" "$reps" <<'PY'
import sys, statistics, collections
vals = collections.defaultdict(list); units = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 4: continue
    who, test, value, unit = f[:4]
    vals[(test, who)].append(float(value)); units[test] = unit
tests = []
for (t, _) in vals:
    if t not in tests: tests.append(t)
print(f"medians of {sys.argv[2]} runs each\n")
print("| test | unit | promc | go | promc/go |")
print("|---|---|---|---|---|")
for t in tests:
    p, g = vals.get((t, "promc")), vals.get((t, "go"))
    pm = statistics.median(p) if p else None
    gm = statistics.median(g) if g else None
    cell = lambda v: f"{v:.3f}" if v is not None else ""
    ratio = f"{pm / gm:.3f}" if pm is not None and gm else ""
    print(f"| {t} | {units[t]} | {cell(pm)} | {cell(gm)} | {ratio} |")
PY
