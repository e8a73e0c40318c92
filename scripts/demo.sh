#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make demo: the seed's walk-through. Starts examples/app (app on :8080,
# metrics on :8000) and, when Debian's prometheus is installed, Prometheus on
# 127.0.0.1:9090 with examples/prometheus.yml and a temporary storage
# directory. Ctrl-C stops both (by PID) and removes the temporary directory.
# Usage: sh scripts/demo.sh [BUILD_DIR]      (default: build)
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
APP="$BUILD/examples/app"
if [ ! -x "$APP" ]; then
  echo "demo: $APP not found; build first (make build)" >&2
  exit 1
fi

APP_PID=""
PROM_PID=""
TMP=""
cleanup() {
  trap - INT TERM EXIT
  [ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null || true
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null || true
  [ -n "$TMP" ] && rm -rf "$TMP"
  echo
  echo "demo: stopped."
}
trap cleanup EXIT
trap 'exit 0' INT TERM

"$APP" "--listen" "0.0.0.0:8080" "--metrics-listen" "0.0.0.0:8000" &
APP_PID=$!

PROM=$(command -v prometheus || true)
if [ -n "$PROM" ]; then
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/promc-demo-XXXXXX")
  "$PROM" --config.file=examples/prometheus.yml --storage.tsdb.path="$TMP/data" \
    --web.listen-address=127.0.0.1:9090 >"$TMP/prometheus.log" 2>&1 &
  PROM_PID=$!
fi

sleep 1
if ! kill -0 "$APP_PID" 2>/dev/null; then
  echo "demo: the app did not start (ports 8080/8000 busy?)" >&2
  APP_PID=""
  exit 1
fi
cat <<EOF

promc demo — the seed's app, in C
  app:      http://localhost:8080/          (GET/POST sleep 1-4 s, like the seed)
  metrics:  http://localhost:8000/metrics
EOF
if [ -n "$PROM_PID" ]; then
  if kill -0 "$PROM_PID" 2>/dev/null; then
    cat <<EOF
  Prometheus: http://127.0.0.1:9090/graph   (scrapes the app every 5 s; log: $TMP/prometheus.log)
EOF
  else
    echo "  (Prometheus failed to start: port 9090 busy? see $TMP/prometheus.log)"
    PROM_PID=""
  fi
else
  echo "  (prometheus not installed: make deps-demo, or apt-get install prometheus)"
fi
cat <<'EOF'

Try:
  curl localhost:8080/hoge                      # Hello World!! from /hoge as GET
  curl -X POST -d 'body' localhost:8080/fuga    # ... as POST
  curl localhost:8080/hoge/error                # 500, counted in exceptions_total
  curl localhost:8000/metrics                   # what Prometheus scrapes
  curl -s --compressed localhost:8000/metrics   # gzip
  curl 'localhost:8000/metrics?name[]=http_status_total'
  curl -s 'http://127.0.0.1:9090/api/v1/query?query=http_status_total'
In the Prometheus UI, graph rate(http_get_requests_total[1m]) or
http_get_request_processing_seconds_sum / http_get_request_processing_seconds_count.

Ctrl-C stops everything.
EOF
wait "$APP_PID" || true
APP_PID=""
