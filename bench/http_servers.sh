# SPDX-License-Identifier: Apache-2.0
# Sourced by bench/scrape_wrk.sh and bench/scrape_idle.sh: which HTTP servers
# to measure (promc's bench/http_bench, and the peers when built under
# $PEERDIR/bin as ../shared/peer-bench/README.md describes), their commands
# and ports. Expects $build and the caller's name in $me.
P=${PEERDIR:-${TMPDIR:-/tmp}/promc-http-peers}
command -v wrk >/dev/null || { echo "$me: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x "$build/bench/http_bench" ] || { echo "$me: $build/bench/http_bench missing; build first" >&2; exit 1; }
servers="promc"
[ -x "$P/bin/bench_cpp" ] && servers="$servers cpp"
[ -x "$P/bin/bench_go" ] && servers="$servers go"
cmd_of() { case $1 in promc) echo "$build/bench/http_bench";; cpp) echo "$P/bin/bench_cpp http";;
  go) echo "$P/bin/bench_go http";; esac; }
port_of() { case $1 in promc) echo 19104;; cpp) echo 19101;; go) echo 19102;; esac; }
