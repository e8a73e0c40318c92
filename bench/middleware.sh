#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The request middleware's cost on an application's own requests: wrk
# against GET /hello of examples/embed_mhd with and without the middleware
# (--no-middleware), and of its Go twin bench/middleware_go (client_golang's
# promhttp InstrumentHandlerInFlight/Counter/Duration/RequestSize/
# ResponseSize chain, and -bare), all in one run, in rotating order.
# Two figures per server: requests/s, and the server's CPU time per request
# (utime + stime of the whole process from /proc/PID/stat, exited threads
# included, over the requests wrk completed), which other load on a shared
# machine disturbs far less.  Overhead per request, from the medians:
# CPU ns/request(instrumented) - CPU ns/request(bare), and
# 1e9/rps(instrumented) - 1e9/rps(bare).  The Go twin is built in GOPATH mode against Debian's
# golang-github-prometheus-client-golang-dev under $PEERDIR (a scratch dir).
# First, each middleware's own cost with no network and no other thread:
# bench/bench_middleware (one libmicrohttpd daemon driven by MHD_run over a
# socketpair, with and without the middleware, alternating rounds) and the
# Go twin's -inproc mode (ServeHTTP of the chain and of the bare handler).
# Usage: bench/middleware.sh [BUILD_DIR] [REPS] [SECS] [CONNECTIONS]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
reps=${2:-5}
secs=${3:-5}
conns=${4:-4}
P=${PEERDIR:-${TMPDIR:-/tmp}/promc-mw-peers}
command -v wrk >/dev/null || { echo "middleware.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
app=$build/examples/embed_mhd
[ -x "$app" ] || { echo "middleware.sh: $app missing; build first" >&2; exit 1; }
command -v go >/dev/null || { echo "middleware.sh: go is not installed (apt-get install golang-go golang-github-prometheus-client-golang-dev)" >&2; exit 1; }
mkdir -p "$P/gopath/src/mwgo" "$P/bin"
cp "$root/bench/middleware_go/main.go" "$P/gopath/src/mwgo/main.go"
(cd "$P/gopath/src/mwgo" && GO111MODULE=off GOPATH=/usr/share/gocode:$P/gopath GOCACHE=$P/gocache \
  go build -o "$P/bin/middleware_go" .) || { echo "middleware.sh: the Go twin did not build" >&2; exit 1; }

[ -x "$build/bench/bench_middleware" ] || { echo "middleware.sh: $build/bench/bench_middleware missing; build first" >&2; exit 1; }
echo "== in process, 21 rounds (medians; the overhead is the median of the per-round differences)"
"$build/bench/bench_middleware" 20000 21 2>/dev/null
"$P/bin/middleware_go" -inproc 200000 -rounds 21
echo

out=$(mktemp -d "${TMPDIR:-/tmp}/promc-mw-XXXXXX")
res=$out/results.txt
: > "$res"
echo "machine: $(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "$reps repetitions of wrk -t1 -c$conns -d${secs}s http://127.0.0.1:PORT/hello; raw output in $out"
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # after the comm field, which has no spaces here
servers="promc_mw promc_bare go_mw go_bare"
port_of() { case $1 in promc_mw) echo 19211;; promc_bare) echo 19212;; go_mw) echo 19213;; go_bare) echo 19214;; esac; }
start() { # name port -> pid
  case $1 in
    promc_mw) "$app" --listen "127.0.0.1:$2" > /dev/null 2>&1 & ;;
    promc_bare) "$app" --listen "127.0.0.1:$2" --no-middleware > /dev/null 2>&1 & ;;
    go_mw) "$P/bin/middleware_go" -listen "127.0.0.1:$2" > /dev/null 2>&1 & ;;
    go_bare) "$P/bin/middleware_go" -listen "127.0.0.1:$2" -bare > /dev/null 2>&1 & ;;
  esac
  echo $!
}
for rep in $(seq "$reps"); do
  k=$((rep % 4)); order=""; i=0
  for s in $servers $servers; do
    [ $i -ge $k ] && [ $i -lt $((k + 4)) ] && order="$order $s"
    i=$((i + 1))
  done
  for s in $order; do
    port=$(port_of "$s")
    pid=$(start "$s" "$port")
    up=0
    for _ in $(seq 100); do
      curl -sf -o /dev/null "http://127.0.0.1:$port/hello" && { up=1; break; }
      sleep 0.05
    done
    [ $up = 1 ] || { kill "$pid"; echo "middleware.sh: $s did not come up" >&2; exit 1; }
    t0=$(cpu_ticks "$pid")
    wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/hello" > "$out/wrk_${s}_$rep.txt" 2>&1
    # what the instrumented servers recorded, as a check that they did
    curl -s "http://127.0.0.1:$port/metrics" | grep '^http_requests_total{' \
      > "$out/count_${s}_$rep.txt" || :
    t1=$(cpu_ticks "$pid")
    kill "$pid"
    wait "$pid" 2>/dev/null || :
    rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk_${s}_$rep.txt")
    n=$(awk '/requests in/ {print $1}' "$out/wrk_${s}_$rep.txt")
    cpu=$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$hz" 'BEGIN { printf "%.0f", (b - a) * 1e9 / hz / n }')
    echo "$rep $s $rps $cpu" | tee -a "$res"
  done
done
echo
echo "rep server req/s cpu-ns/request (columns of $res)"
awk 'function med(str,   n, a, i, j, t) {
      n = split(str, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
  { v[$2] = v[$2] " " $3; c[$2] = c[$2] " " $4 }
  END {
    for (s in v) {
      m[s] = med(v[s]); k[s] = med(c[s])
      printf "%-11s median %8.0f req/s, %6.0f CPU ns/request   req/s:%s  ns:%s\n", s, m[s], k[s], v[s], c[s]
    }
    printf "promc middleware overhead:        %5.0f CPU ns/request, %5.0f ns/request from req/s\n",
      k["promc_mw"] - k["promc_bare"], 1e9 / m["promc_mw"] - 1e9 / m["promc_bare"]
    printf "client_golang promhttp overhead:  %5.0f CPU ns/request, %5.0f ns/request from req/s\n",
      k["go_mw"] - k["go_bare"], 1e9 / m["go_mw"] - 1e9 / m["go_bare"]
  }' "$res"
