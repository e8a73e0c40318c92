#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""counter_name_as_given behind a real Prometheus (Debian's 2.42, which asks
for OpenMetrics first).

Two copies of tests/name_as_given_serve on free 127.0.0.1 ports: job "text"
limits libpromc-http to the text format (promc_http_opts.formats), job "all"
negotiates freely.  Prometheus scrapes both every second; then:
  job "text": http_requests{method="GET"} 7 and app_errors 1 are stored under
              the names as given, and no http_requests_total exists: a port
              keeps its dashboards;
  job "all":  Prometheus got OpenMetrics, so the same counters are stored as
              http_requests_total and app_errors_total (the documented caveat);
  both:       the new-style counter is app_jobs_total 5.
Kills only what it started, by PID. A missing Prometheus is a failure.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from promharness import PromAPI, Proc, free_port, missing, scrape_config, start_prometheus, wait_port_file  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", required=True)
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    a = ap.parse_args()
    if m := missing([a.prometheus]):
        print(m)
        return 1
    tmp = tempfile.mkdtemp()
    procs, ok = [], False
    try:
        ports = {}
        for mode in ("text", "all"):
            pf = os.path.join(tmp, mode + ".port")
            procs.append(Proc("serve-" + mode, [a.serve, mode, pf], tmp))
            ports[mode] = wait_port_file(pf, procs[-1])
            if ports[mode] is None:
                print(f"FAIL: name_as_given_serve {mode} did not start")
                return 1
        port = free_port()
        procs.append(start_prometheus(tmp, scrape_config({m: [f"127.0.0.1:{p}"] for m, p in ports.items()}), port,
                                      binary=a.prometheus))
        api = PromAPI(port)

        def query(q):
            return sorted((s["metric"].get("__name__"), s["metric"].get("method", ""), float(s["value"][1]))
                          for s in api.query(q, strict=True))

        want = {
            '{job="text",__name__=~"http_requests.*|app_.*"}':
                [("app_errors", "", 1.0), ("app_jobs_total", "", 5.0), ("http_requests", "GET", 7.0)],
            '{job="all",__name__=~"http_requests.*|app_.*"}':
                [("app_errors_total", "", 1.0), ("app_jobs_total", "", 5.0), ("http_requests_total", "GET", 7.0)],
        }
        got, deadline = {}, time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                got = {q: [s for s in query(q) if not s[0].endswith("_created")] for q in want}
                if got == want:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
        for q in want:
            print(f"{q}: {got.get(q)}")
        if got != want:
            print(f"FAIL: expected {want}")
            return 1
        print("PASS: job text keeps the names as given; job all (OpenMetrics) has _total")
        ok = True
        return 0
    finally:
        for p in reversed(procs):
            p.stop()
            if not ok:
                p.dump(4000)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
