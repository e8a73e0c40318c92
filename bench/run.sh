#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs promc's bench_core beside the peer clients of ../shared/peer-bench
# (prometheus-cpp, client_golang, VictoriaMetrics/metrics, client_python) in
# one run, REPS repetitions in rotating order, and prints the median of every
# test per client as a Markdown table.
# Usage: bench/run.sh [BUILD_DIR] [REPS]     (make bench runs it)
# Needs (Debian): prometheus-cpp-dev golang-go golang-github-prometheus-client-golang-dev
#                 golang-github-victoriametrics-metrics-dev python3-prometheus-client
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
reps=${2:-5}
S=${PEER_BENCH:-$root/../shared/peer-bench}
P=${PEERDIR:-${TMPDIR:-/tmp}/promc-peers}
[ -d "$S" ] || { echo "bench: peer benchmarks not found at $S (set PEER_BENCH)" >&2; exit 1; }
[ -x "$build/bench/bench_core" ] || { echo "bench: build first ($build/bench/bench_core missing)" >&2; exit 1; }
mkdir -p "$P/bin" "$P/results"
gcc -O2 -pthread -o "$P/bin/physref" "$S/physref.c"
peers="promc"
if g++ -O2 -std=c++17 -pthread -o "$P/bin/bench_cpp" "$S/bench_cpp.cpp" -lprometheus-cpp-pull -lprometheus-cpp-core 2>"$P/cpp.log"; then
  peers="$peers cpp"; else echo "bench: prometheus-cpp not built (see $P/cpp.log)" >&2; fi
if command -v go >/dev/null; then
  mkdir -p "$P/gopath/src/promgobench" "$P/gopath/src/vmbench"
  cp "$S/bench_go.go" "$P/gopath/src/promgobench/main.go"
  cp "$S/bench_vm.go" "$P/gopath/src/vmbench/main.go"
  export GO111MODULE=off GOPATH=/usr/share/gocode:$P/gopath GOCACHE=$P/gocache
  (cd "$P/gopath/src/promgobench" && go build -o "$P/bin/bench_go" .) 2>"$P/go.log" && peers="$peers go" || echo "bench: client_golang not built" >&2
  (cd "$P/gopath/src/vmbench" && go build -o "$P/bin/bench_vm" .) 2>"$P/vm.log" && peers="$peers vm" || echo "bench: VictoriaMetrics not built" >&2
fi
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null && peers="$peers py"
cmd_of() { case $1 in promc) echo "$build/bench/bench_core";; cpp) echo "$P/bin/bench_cpp";; go) echo "$P/bin/bench_go";;
  vm) echo "$P/bin/bench_vm";; py) echo "/usr/bin/python3 $S/bench_py.py";; esac; }
n_of() { case $1 in py) echo 2000000;; *) echo 50000000;; esac; }
res="$P/results/results.txt"; : > "$res"
set -- $peers; count=$#
for rep in $(seq "$reps"); do
  order=""; i=0
  for p in $peers; do order="$order $p"; done
  # rotate the order each repetition
  shift_by=$((rep % count)); k=0; rotated=""
  for p in $order; do if [ $k -ge $shift_by ]; then rotated="$rotated $p"; fi; k=$((k+1)); done
  k=0; for p in $order; do if [ $k -lt $shift_by ]; then rotated="$rotated $p"; fi; k=$((k+1)); done
  echo "rep $rep:$rotated" >&2
  "$P/bin/physref" 200000000 | sed "s/^/$rep /" >> "$res"
  for p in $rotated; do $(cmd_of $p) micro $(n_of $p) | sed "s/^/$rep /" >> "$res"; done
  for p in $rotated; do $(cmd_of $p) expo | sed "s/^/$rep /" >> "$res"; done
done
echo "raw results: $res" >&2
/usr/bin/python3 - "$res" <<'PY'
import sys, statistics, collections
vals = collections.defaultdict(list); units = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 4: continue
    rep, peer, test, value = f[:4]
    try: vals[(test, peer)].append(float(value))
    except ValueError: continue
    units[test] = f[4] if len(f) > 4 else ""
peers = []
for (_, p) in vals:
    if p not in peers: peers.append(p)
tests = sorted({t for (t, _) in vals})
print("| test | unit | " + " | ".join(peers) + " |")
print("|---|---|" + "---|" * len(peers))
for t in tests:
    row = []
    for p in peers:
        v = vals.get((t, p))
        row.append(f"{statistics.median(v):.3f}" if v else "")
    print(f"| {t} | {units[t]} | " + " | ".join(row) + " |")
PY
