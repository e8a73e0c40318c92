#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The HTTP server under attack, before and after: builds libpromc-http from
# git revision BEFORE (into a temporary directory, from `git archive`, so no
# work tree is touched), builds bench/http_attack.c of this tree against it
# and against BUILD_DIR's libpromc-http, and runs every scenario against each
# (127.0.0.1 only; each scenario bounded, about 3 minutes in all per side):
#   halfclose      4,800 half-closed requests in 3 s, then 100/s
#   slowloris      600 connections trickling a header byte every 5 s
#   slowloris tls  the same over TLS
#   stall          300 stalled TLS handshakes, max_connections = 256
#   badpass        300 wrong-password clients, plain then TLS (SECS each)
# Usage: bench/http_attack.sh [BUILD_DIR] [BEFORE] [SECS]
#   BUILD_DIR default build/, BEFORE default cf2eb2e, the last revision before the defences (empty = skip "before"),
#   SECS default 25.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
before=${2-cf2eb2e}
secs=${3:-25}
out=$(mktemp -d "${TMPDIR:-/tmp}/promc-attack-XXXXXX")
trap 'rm -rf "$out"' EXIT

cc_attack() { # $1 include dir, $2 dir with libpromc.so, $3 dir with libpromc-http.so, $4 output
  cc -O2 -std=c11 -D_GNU_SOURCE -I"$1" "$root/bench/http_attack.c" -o "$4" \
    -L"$3" -L"$2" -lpromc-http -lpromc -lgnutls -lcrypt -lpthread -Wl,-rpath,"$3" -Wl,-rpath,"$2"
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$out/srv.key" \
  -out "$out/srv.pem" -days 2 -subj /CN=127.0.0.1 2>/dev/null
export ATK_CERT="$out/srv.pem" ATK_KEY="$out/srv.key"

sides="after"
cc_attack "$root/include" "$build" "$build/src/http" "$out/after"
if [ -n "$before" ]; then
  mkdir -p "$out/src"
  git -C "$root" archive "$before" | tar -x -C "$out/src"
  cmake -S "$out/src" -B "$out/bld" -DPROMC_BUILD_TESTS=OFF \
    -DPROMC_BUILD_EXAMPLES=OFF -DPROMC_BUILD_BENCH=OFF >/dev/null
  cmake --build "$out/bld" -j 2 --target promc_http >/dev/null
  cc_attack "$out/src/include" "$out/bld" "$out/bld/src/http" "$out/before"
  sides="before after"
fi

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); before = $before, after = this tree"
for side in $sides; do
  for scenario in "halfclose" "slowloris" "slowloris tls" "stall" "badpass plain $secs" "badpass tls $secs"; do
    echo "== $side: $scenario"
    # shellcheck disable=SC2086
    timeout 300 "$out/$side" $scenario || echo "(exit $?)"
  done
done
