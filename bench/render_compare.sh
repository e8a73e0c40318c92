#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Render and scrape-path benchmarks of two revisions in one run: OLD (a git
# ref, default main) and the working tree. Both are built the same way
# (RelWithDebInfo, gcc, static libpromc), then for REPS repetitions the old and
# new binaries alternate (old first on odd repetitions, new first on even):
#   bench_render create 100000 1000   creation latency while scrapes run back to back
#   bench_render values zero|int      render of 100,000 counters, zero / small integers
#   bench_core expo                   docs/benchmarks.md row f
#   bench_render mixed text|openmetrics|protobuf   test f's families in each format
#   bench_om                          text / OpenMetrics / protobuf render of 101,000 children
#   bench_mp 200 1000                 multi-process scrape (4 live workers)
# and prints the median of each figure per revision, then callgrind's
# instruction count of promc_registry_render for the values and mixed runs
# (stable on a noisy machine) and where each spent them on zeros.
# Usage: bench/render_compare.sh [OLD_REF] [REPS]     (needs valgrind)
#        WALL=0 bench/render_compare.sh ...           callgrind only
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
old=${1:-main}
reps=${2:-5}
W=${TMPDIR:-/tmp}/promc-render-compare
rm -rf "$W/old-src"
mkdir -p "$W/old-src" "$W/old" "$W/new"
git -C "$root" archive "$old" | tar -x -C "$W/old-src"
for v in old new; do
  src=$root
  [ $v = old ] && src=$W/old-src
  cmake -S "$src" -B "$W/$v-build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc \
    -DPROMC_BUILD_TESTS=OFF -DPROMC_BUILD_EXAMPLES=OFF -DPROMC_BUILD_HTTP=OFF -DPROMC_BUILD_PUSH=OFF >/dev/null
  cmake --build "$W/$v-build" -j 2 --target promc_static bench_core bench_om bench_mp >/dev/null
  gcc -O2 -g -pthread -I"$src/include" -o "$W/$v/bench_render" "$root/bench/bench_render.c" \
    "$W/$v-build/libpromc.a" -lm
  cp "$W/$v-build/bench/bench_core" "$W/$v-build/bench/bench_om" "$W/$v-build/bench/bench_mp" "$W/$v/"
done
res=$W/results.txt
: >"$res"
run() { # rev, command...
  r=$1
  shift
  "$W/$r/$@" 2>/dev/null | sed "s/^promc-mp //; s/^promc //; s/^/$r /" >>"$res" || true
}
[ "${WALL:-1}" = 0 ] && reps=0
for rep in $(seq "$reps"); do
  order="old new"
  [ $((rep % 2)) = 0 ] && order="new old"
  echo "rep $rep: $order" >&2
  for r in $order; do run $r bench_render create 100000 1000; done
  for r in $order; do run $r bench_render values zero 100000 15; done
  for r in $order; do run $r bench_render values int 100000 15; done
  for f in text openmetrics protobuf; do
    for r in $order; do run $r bench_render mixed $f 15; done
  done
  for r in $order; do run $r bench_core expo; done
  for r in $order; do run $r bench_om; done
  for r in $order; do run $r bench_mp 200 1000; done
done
[ "$reps" = 0 ] || { echo "raw results: $res" >&2; /usr/bin/python3 - "$res" <<'PY'
import sys, statistics, collections, re
vals = collections.defaultdict(list); units = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 3: continue
    rev, name, value = f[:3]
    try: vals[(name, rev)].append(float(value))
    except ValueError: continue
    units[name] = " ".join(f[3:])
names = []
for (n, _) in vals:
    if n not in names: names.append(n)
print("| figure | unit | old (median) | new (median) | new/old |")
print("|---|---|---|---|---|")
for n in names:
    o, w = vals.get((n, "old")), vals.get((n, "new"))
    if not o or not w: continue
    mo, mw = statistics.median(o), statistics.median(w)
    ratio = f"{mw / mo:.2f}" if mo else ""
    print(f"| {n} | {units[n]} | {mo:.3f} | {mw:.3f} | {ratio} |")
PY
}
echo
echo "callgrind: instructions in promc_registry_render (one render)"
echo "| run | old | new | new/old |"
echo "|---|---|---|---|"
cg() { # rev, name, args...
  v=$1
  n=$2
  shift 2
  out=$W/callgrind.$v.$n
  valgrind --tool=callgrind --toggle-collect=promc_registry_render --callgrind-out-file="$out" \
    "$W/$v/bench_render" "$@" >/dev/null 2>&1
  callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'
}
for run in "zero:values zero 100000 1" "int:values int 100000 1" "text:mixed text 1" \
  "openmetrics:mixed openmetrics 1" "protobuf:mixed protobuf 1"; do
  n=${run%%:*}
  a=${run#*:}
  o=$(cg old "$n" $a)
  w=$(cg new "$n" $a)
  echo "| $a | $o | $w | $(awk "BEGIN {printf \"%.2f\", $w / $o}") |"
done
for v in old new; do
  echo "--- $v, zero values: top functions (inclusive of nothing; self cost)"
  callgrind_annotate "$W/callgrind.$v.zero" 2>/dev/null | grep -E '^ *[0-9,]+ \([ 0-9.]+%\)' | head -8
done
