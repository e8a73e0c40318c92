#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Scrape over HTTP: wrk -t2 -c2 -d10s --latency against /metrics holding
# 1,000 counter series (method x path x status = 10 x 10 x 10), plain and
# with "Accept-Encoding: gzip" (what Prometheus sends), for promc's
# bench/http_bench and — when built under $PEERDIR/bin as described in
# ../shared/peer-bench/README.md — prometheus-cpp (bench_cpp http) and
# client_golang (bench_go http). REPS repetitions in rotating order; prints
# every run and the median requests/s and p99 per server and encoding.
# Usage: bench/scrape_wrk.sh [BUILD_DIR] [REPS] [SECS]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
reps=${2:-3}
secs=${3:-10}
me=scrape_wrk
. "$root/bench/http_servers.sh"
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) sub(/ms$/,"",v);
  else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f\n", v}'; }

out=$(mktemp -d "${TMPDIR:-/tmp}/promc-scrape-XXXXXX")
res="$out/results.txt"
: > "$res"
echo "machine: $(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "servers: $servers; $reps repetitions of wrk -t2 -c2 -d${secs}s --latency; raw output in $out"
n=$(echo $servers | wc -w)
for rep in $(seq "$reps"); do
  k=$((rep % n)); order=""; i=0
  for s in $servers $servers; do
    [ $i -ge $k ] && [ $i -lt $((k + n)) ] && order="$order $s"
    i=$((i + 1))
  done
  for s in $order; do
    port=$(port_of "$s")
    $(cmd_of "$s") "$port" $((2 * secs + 10)) 2>/dev/null &
    spid=$!
    up=0
    for _ in $(seq 100); do
      curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" && { up=1; break; }
      sleep 0.1
    done
    if [ $up = 0 ]; then echo "scrape_wrk: $s did not come up on port $port" >&2; kill "$spid"; wait "$spid" || true; exit 1; fi
    for enc in plain gzip; do
      hdr=""
      [ $enc = gzip ] && hdr="Accept-Encoding: gzip"
      f="$out/wrk_${s}_${enc}_$rep.txt"
      if [ -n "$hdr" ]; then
        wrk -t2 -c2 -d"${secs}s" --latency -H "$hdr" "http://127.0.0.1:$port/metrics" > "$f" 2>&1
      else
        wrk -t2 -c2 -d"${secs}s" --latency "http://127.0.0.1:$port/metrics" > "$f" 2>&1
      fi
      rps=$(awk '/Requests\/sec/ {print $2}' "$f")
      p99=$(awk '$1=="99%" {print $2}' "$f" | to_ms)
      echo "$rep $s $enc $rps $p99" | tee -a "$res"
    done
    kill "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
  done
done
echo
echo "| server | encoding | requests/s (median) | p99 ms (median) |"
echo "|---|---|---|---|"
for s in $servers; do
  for enc in plain gzip; do
    rps=$(awk -v s="$s" -v e="$enc" '$2==s && $3==e {print $4}' "$res" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    p99=$(awk -v s="$s" -v e="$enc" '$2==s && $3==e {print $5}' "$res" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "| $s | $enc | $rps | $p99 |"
  done
done
