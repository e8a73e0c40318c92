#!/bin/sh
# Render and scrape-path benchmarks of two revisions in one run: OLD (a git
# ref, default main) and the working tree. Both are built the same way
# (RelWithDebInfo, gcc, static libpromc), then for REPS repetitions the old and
# new binaries alternate (old first on odd repetitions, new first on even):
#   bench_render create 100000 1000   creation latency while scrapes run back to back
#   bench_render values zero|int      render of 100,000 counters, zero / small integers
#   bench_core expo                   docs/benchmarks.md row f
#   bench_om                          text / OpenMetrics / protobuf render of 101,000 children
#   bench_mp 200 1000                 multi-process scrape (4 live workers)
# and prints the median of each figure per revision, then callgrind's
# instruction count of promc_registry_render for the values runs (stable on a
# noisy machine) and where the old one spent them.
# Usage: bench/render_compare.sh [OLD_REF] [REPS]     (needs valgrind)
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
for rep in $(seq "$reps"); do
  order="old new"
  [ $((rep % 2)) = 0 ] && order="new old"
  echo "rep $rep: $order" >&2
  for r in $order; do run $r bench_render create 100000 1000; done
  for r in $order; do run $r bench_render values zero 100000 15; done
  for r in $order; do run $r bench_render values int 100000 15; done
  for r in $order; do run $r bench_core expo; done
  for r in $order; do run $r bench_om; done
  for r in $order; do run $r bench_mp 200 1000; done
done
echo "raw results: $res" >&2
/usr/bin/python3 - "$res" <<'PY'
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
echo
echo "callgrind: instructions in promc_registry_render (one render of 100,000 counters)"
for v in old new; do
  for k in zero int; do
    out=$W/callgrind.$v.$k
    valgrind --tool=callgrind --toggle-collect=promc_registry_render --callgrind-out-file="$out" \
      "$W/$v/bench_render" values $k 100000 1 >/dev/null 2>&1
    ir=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
    echo "$v $k $ir"
  done
done
for v in old new; do
  echo "--- $v, zero values: top functions (inclusive of nothing; self cost)"
  callgrind_annotate "$W/callgrind.$v.zero" 2>/dev/null | grep -E '^ *[0-9,]+ \([ 0-9.]+%\)' | head -8
done
