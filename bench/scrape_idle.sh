#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Scrapes while idle clients hold connections: IDLE connections to the
# server are opened first (half send nothing, half send a partial request
# header and stall, like a slowloris), then wrk -t2 -c2 -d SECS --latency
# --timeout 2s measures /metrics (1,000 series) as in bench/scrape_wrk.sh.
# Runs promc's bench/http_bench and, when built under $PEERDIR/bin,
# prometheus-cpp and client_golang.
# Usage: bench/scrape_idle.sh [BUILD_DIR] [IDLE] [SECS]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
idle=${2:-200}
secs=${3:-10}
me=scrape_idle
. "$root/bench/http_servers.sh"
out=$(mktemp -d "${TMPDIR:-/tmp}/promc-idle-XXXXXX")
echo "machine: $(nproc) cores; $idle idle connections held during wrk -t2 -c2 -d${secs}s --latency --timeout 2s"
echo "| server | requests/s | p99 ms | wrk errors |"
echo "|---|---|---|---|"
for s in $servers; do
  port=$(port_of "$s")
  $(cmd_of "$s") "$port" $((secs + 20)) 2>/dev/null &
  spid=$!
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" && break; sleep 0.1; done
  /usr/bin/python3 - "$port" "$idle" $((secs + 5)) <<'EOF' &
import socket, sys, time
port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if i % 2:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    socks.append(s)
time.sleep(hold)
EOF
  hpid=$!
  sleep 1
  f="$out/wrk_$s.txt"
  wrk -t2 -c2 -d"${secs}s" --latency --timeout 2s "http://127.0.0.1:$port/metrics" > "$f" 2>&1 || true
  rps=$(awk '/Requests\/sec/ {print $2}' "$f")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) sub(/ms$/,"",v);
    else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f", v}' "$f")
  case "$rps" in 0|0.00|"") p99="n/a (no request completed)";; esac
  errs=$(awk '/Socket errors|Non-2xx/ {print}' "$f" | tr '\n' ' ')
  echo "| $s | ${rps:-0} | ${p99:-n/a} | ${errs:-none} |"
  kill "$hpid" 2>/dev/null || true
  wait "$hpid" 2>/dev/null || true
  kill "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
done
echo "(raw wrk output in $out)"
