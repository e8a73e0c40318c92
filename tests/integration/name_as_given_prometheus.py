#!/usr/bin/python3
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
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", required=True)
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    a = ap.parse_args()
    if not os.access(a.prometheus, os.X_OK):
        print(f"FAIL: {a.prometheus} is not installed (Debian package prometheus)")
        return 1
    tmp = tempfile.mkdtemp()
    procs, ok = [], False
    try:
        ports = {}
        for mode in ("text", "all"):
            pf = os.path.join(tmp, mode + ".port")
            procs.append(subprocess.Popen([a.serve, mode, pf]))
            deadline = time.monotonic() + 10
            while not (os.path.exists(pf) and open(pf).read().endswith("\n")):
                if time.monotonic() > deadline or procs[-1].poll() is not None:
                    print(f"FAIL: name_as_given_serve {mode} did not start")
                    return 1
                time.sleep(0.05)
            ports[mode] = int(open(pf).read())
        port = free_port()
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n")
            for mode, p in ports.items():
                f.write(f"  - job_name: {mode}\n    static_configs:\n    - targets: ['127.0.0.1:{p}']\n")
        log = open(os.path.join(tmp, "prometheus.log"), "wb")
        procs.append(subprocess.Popen([a.prometheus, f"--config.file={cfg}",
                                       f"--storage.tsdb.path={os.path.join(tmp, 'data')}",
                                       f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT))

        def query(q):
            url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
            with urllib.request.urlopen(url, timeout=5) as r:
                res = json.loads(r.read())["data"]["result"]
            return sorted((s["metric"].get("__name__"), s["metric"].get("method", ""), float(s["value"][1]))
                          for s in res)

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
            except OSError:
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
            stop(p)
        if not ok and os.path.exists(os.path.join(tmp, "prometheus.log")):
            sys.stdout.write(open(os.path.join(tmp, "prometheus.log"), "rb").read()[-4000:].decode("utf-8", "replace"))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
