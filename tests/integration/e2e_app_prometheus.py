#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end: examples/app scraped by a real Prometheus.

--mode picks the exposition format Prometheus gets: every scrape goes through
a small proxy here that records the Content-Type the app answered with.
  text         the proxy asks for text/plain;version=0.0.4 (the text run)
  openmetrics  Prometheus' own Accept header, --enable-feature=exemplar-storage
  protobuf     Prometheus' own Accept header, --enable-feature=native-histograms
               and exemplar-storage (Prometheus then asks for protobuf first)
Every mode checks the same exact values; openmetrics and protobuf also check
that /api/v1/query_exemplars returns the trace_id exemplars the app attached
to http_get_requests_total (the ids come back in X-Request-Id headers).

Starts `app --sleep-ms 0-0` and /usr/bin/prometheus (1 s scrape interval,
generated config, temporary storage) on free 127.0.0.1 ports, sends a known
mix of GET, POST and /error requests, then asks Prometheus' HTTP API
(bounded waits) for up{job="app"} == 1 and the exact value of every series
the app records, and for the process_* metrics.  On failure it prints both
logs and the target's lastError.  Stdlib only; kills only what it started,
by PID.  Exit status 0 = pass.
"""
import argparse
import os
import sys
import tempfile
import shutil
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from promharness import (CONTENT_TYPES, FORMAT_FLAGS, PROMETHEUS, PromAPI, Proc, free_port, http, missing,  # noqa: E402
                         scrape_config, start_prometheus, wait_for)

WAIT_S = 30


class ScrapeProxy:
    """Forwards Prometheus' scrapes to the app's metrics port and records the
    Content-Type of each answer; in text mode it asks for the text format."""

    def __init__(self, port, upstream, force_accept):
        self.seen = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                headers = {}
                for h in ("Accept", "Accept-Encoding"):
                    if self.headers.get(h):
                        headers[h] = self.headers[h]
                if force_accept:
                    headers["Accept"] = force_accept
                req = urllib.request.Request(upstream + self.path, headers=headers)
                try:
                    with urllib.request.urlopen(req, timeout=10) as r:
                        status, body, rh = r.status, r.read(), r.headers
                except urllib.error.HTTPError as e:
                    status, body, rh = e.code, e.read(), e.headers
                proxy.seen.append((self.headers.get("Accept"), rh.get("Content-Type")))
                self.send_response(status)
                for h in ("Content-Type", "Content-Encoding"):
                    if rh.get(h):
                        self.send_header(h, rh[h])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--prometheus", default=PROMETHEUS)
    ap.add_argument("--mode", choices=sorted(CONTENT_TYPES), default="text")
    a = ap.parse_args()
    if m := missing([a.prometheus], "Debian package prometheus; scripts/deps.sh test"):
        print(m)
        return 1
    if not os.access(a.app, os.X_OK):
        print(f"FAIL: app binary {a.app} missing")
        return 1

    tmp = tempfile.mkdtemp(prefix="promc-e2e-")
    app_port, metrics_port, prom_port, proxy_port = free_port(), free_port(), free_port(), free_port()
    app = prom = proxy = None
    t_start = time.time()
    base = f"http://127.0.0.1:{app_port}"
    api = PromAPI(prom_port)
    ok = False
    try:
        app = Proc("app", [a.app, "--listen", f"127.0.0.1:{app_port}",
                           "--metrics-listen", f"127.0.0.1:{metrics_port}", "--sleep-ms", "0-0"], tmp)
        wait_for("the app's metrics port", lambda: (http("GET", f"http://127.0.0.1:{metrics_port}/metrics")[0] == 200, None), 10)

        proxy = ScrapeProxy(proxy_port, f"http://127.0.0.1:{metrics_port}",
                            "text/plain;version=0.0.4" if a.mode == "text" else None)
        cfg = scrape_config({"prometheus": [f"127.0.0.1:{prom_port}"], "app": [f"127.0.0.1:{proxy_port}"]},
                            evaluation_interval="1s")
        prom = start_prometheus(tmp, cfg, prom_port, FORMAT_FLAGS[a.mode], a.prometheus)

        # The known mix of requests, and what the app answers to each.
        gets = ["/a", "/a", "/a", "/b?x=1", "/b?y=2"]
        posts = ["/a", "/a", "/c"]
        get_ids = []
        for p in gets:
            with urllib.request.urlopen(base + p, timeout=5) as r:
                st, body, rid = r.status, r.read().decode("utf-8", "replace"), r.headers.get("X-Request-Id")
            assert st == 200 and body == f"Hello World!! from {p} as GET", (p, st, body)
            assert rid, f"GET {p}: no X-Request-Id header"
            get_ids.append(rid)
        for p in posts:
            st, body = http("POST", base + p, body=b"hello")
            assert st == 200 and body == f"Hello World!! from {p} as POST", (p, st, body)
        for m, p in (("GET", "/x/error"), ("GET", "/x/error"), ("POST", "/y/error")):
            st, _ = http(m, base + p, body=b"x" if m == "POST" else None)
            assert st == 500, (m, p, st)

        query, scalar = api.query, api.scalar

        wait_for('up{job="app"} == 1', lambda: ((v := scalar('up{job="app"}')) == 1, v), WAIT_S)

        expect = {
            'http_get_requests_total{job="app"}': 5,
            'http_post_requests_total{job="app"}': 3,
            'http_status_total{job="app",method="GET",url="/a",status_code="200"}': 3,
            'http_status_total{job="app",method="GET",url="/b",status_code="200"}': 2,
            'http_status_total{job="app",method="POST",url="/a",status_code="200"}': 2,
            'http_status_total{job="app",method="POST",url="/c",status_code="200"}': 1,
            'http_status_total{job="app",method="GET",url="/x/error",status_code="500"}': 2,
            'http_status_total{job="app",method="POST",url="/y/error",status_code="500"}': 1,
            'exceptions_total{job="app"}': 3,
            'http_get_request_processing_seconds_count{job="app"}': 7,
            'http_post_request_processing_seconds_count{job="app",method="POST",url="/a"}': 2,
            'http_post_request_processing_seconds_count{job="app",method="POST",url="/c"}': 1,
            # no other label sets than the ones above
            'count(http_status_total{job="app"})': 6,
            'count(http_post_request_processing_seconds_count{job="app"})': 2,
        }

        def all_match():
            got = {q: scalar(q) for q in expect}
            bad = {q: (got[q], want) for q, want in expect.items() if got[q] != want}
            return not bad, bad

        wait_for("exact values of the app's metrics", all_match, WAIT_S)
        sums = scalar('http_get_request_processing_seconds_sum{job="app"}')
        assert sums is not None and sums >= 0, sums

        def process_metrics():
            res = query('{job="app",__name__=~"process_.+"}') or []
            names = sorted({r["metric"]["__name__"] for r in res})
            need = {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds",
                    "process_open_fds"}
            return need <= set(names), names

        want_ct = CONTENT_TYPES[a.mode]
        bad_ct = [(acc, ct) for acc, ct in proxy.seen if ct != want_ct]
        assert proxy.seen and not bad_ct, f"{a.mode} run: scrapes answered with {bad_ct[:3]}, want {want_ct!r}"
        print(f"{a.mode}: {len(proxy.seen)} scrapes answered with {want_ct!r} (Accept: {proxy.seen[-1][0]!r})")

        if a.mode != "text":
            def exemplars():
                answered, data = api.exemplars('http_get_requests_total{job="app"}', t_start - 60, time.time() + 60)
                if not answered:
                    return False, data
                got = [(e["labels"], float(e["value"]), float(e["timestamp"]))
                       for series in data for e in series["exemplars"]]
                return any(lab == {"trace_id": get_ids[-1]} for lab, _, _ in got), got

            got = wait_for(f"the exemplar trace_id={get_ids[-1]} in /api/v1/query_exemplars", exemplars, WAIT_S)
            for lab, val, ts in got:
                assert set(lab) == {"trace_id"} and lab["trace_id"] in get_ids, f"unexpected exemplar {lab}"
                assert val == 1, f"exemplar value {val}, want 1"
                assert t_start - 1 <= ts <= time.time() + 1, f"exemplar timestamp {ts} outside the run"
            print(f"{a.mode}: query_exemplars returned {got}")

        wait_for("process_* metrics from the app", process_metrics, WAIT_S)

        rc = app.stop()
        assert rc == 0, f"app exited with {rc} on SIGTERM (want a clean 0)"
        ok = True
        print("PASS: Prometheus scraped every expected value from the app")
        return 0
    except AssertionError as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        if not ok:
            api.print_targets()
        if proxy:
            proxy.stop()
        for p in (prom, app):
            if p:
                p.stop()
                if not ok:
                    p.dump()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
