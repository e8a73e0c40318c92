#!/usr/bin/python3
"""End-to-end: examples/app scraped by a real Prometheus (issue 3, acceptance 1).

Starts `app --sleep-ms 0-0` and /usr/bin/prometheus (1 s scrape interval,
generated config, temporary storage) on free 127.0.0.1 ports, sends a known
mix of GET, POST and /error requests, then asks Prometheus' HTTP API
(bounded waits) for up{job="app"} == 1 and the exact value of every series
the app records, and for the process_* metrics.  On failure it prints both
logs and the target's lastError.  Stdlib only; kills only what it started,
by PID.  Exit status 0 = pass.
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
import urllib.error
import urllib.parse
import urllib.request

PROMETHEUS = "/usr/bin/prometheus"
WAIT_S = 30


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=5):
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def wait_for(what, fn, timeout):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            ok, last = fn()
            if ok:
                return last
        except (OSError, ValueError, KeyError) as e:
            last = repr(e)
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last seen: {last}")


class Proc:
    def __init__(self, name, argv, logdir):
        self.name = name
        self.log_path = os.path.join(logdir, name + ".log")
        self.log = open(self.log_path, "wb")
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self, timeout=10):
        """SIGTERM by PID, bounded wait, SIGKILL if needed; returns the exit code."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.log.close()
        return self.p.returncode

    def dump(self):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()[-20000:]
        except OSError as e:
            data = repr(e).encode()
        sys.stdout.write(f"----- {self.name} log ({self.log_path}) -----\n")
        sys.stdout.write(data.decode("utf-8", "replace") + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--prometheus", default=PROMETHEUS)
    a = ap.parse_args()
    if not os.access(a.prometheus, os.X_OK):
        print(f"FAIL: {a.prometheus} is not installed (Debian package prometheus; scripts/deps.sh test)")
        return 1
    if not os.access(a.app, os.X_OK):
        print(f"FAIL: app binary {a.app} missing")
        return 1

    tmp = tempfile.mkdtemp(prefix="promc-e2e-")
    app_port, metrics_port, prom_port = free_port(), free_port(), free_port()
    app = prom = None
    base = f"http://127.0.0.1:{app_port}"
    api = f"http://127.0.0.1:{prom_port}/api/v1"
    ok = False
    try:
        app = Proc("app", [a.app, "--listen", f"127.0.0.1:{app_port}",
                           "--metrics-listen", f"127.0.0.1:{metrics_port}", "--sleep-ms", "0-0"], tmp)
        wait_for("the app's metrics port", lambda: (http("GET", f"http://127.0.0.1:{metrics_port}/metrics")[0] == 200, None), 10)

        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
    - targets: ['127.0.0.1:{prom_port}']
  - job_name: app
    static_configs:
    - targets: ['127.0.0.1:{metrics_port}']
""")
        prom = Proc("prometheus", [a.prometheus, f"--config.file={cfg}",
                                   f"--storage.tsdb.path={os.path.join(tmp, 'data')}",
                                   f"--web.listen-address=127.0.0.1:{prom_port}"], tmp)

        # The known mix of requests, and what the app answers to each.
        gets = ["/a", "/a", "/a", "/b?x=1", "/b?y=2"]
        posts = ["/a", "/a", "/c"]
        for p in gets:
            st, body = http("GET", base + p)
            assert st == 200 and body == f"Hello World!! from {p} as GET", (p, st, body)
        for p in posts:
            st, body = http("POST", base + p, body=b"hello")
            assert st == 200 and body == f"Hello World!! from {p} as POST", (p, st, body)
        for m, p in (("GET", "/x/error"), ("GET", "/x/error"), ("POST", "/y/error")):
            st, _ = http(m, base + p, body=b"x" if m == "POST" else None)
            assert st == 500, (m, p, st)

        def query(q):
            st, body = http("GET", f"{api}/query?" + urllib.parse.urlencode({"query": q}))
            if st != 200:
                return None
            res = json.loads(body)["data"]["result"]
            return res

        def scalar(q):
            res = query(q)
            if not res or len(res) != 1:
                return None
            return float(res[0]["value"][1])

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
            try:
                st, body = http("GET", f"{api}/targets")
                for t in json.loads(body)["data"]["activeTargets"]:
                    print(f"target {t['labels'].get('job')} {t['scrapeUrl']}: health={t['health']} "
                          f"lastError={t['lastError']!r}")
            except Exception as e:  # the report must not hide the failure
                print(f"(could not read /api/v1/targets: {e!r})")
        for p in (prom, app):
            if p:
                p.stop()
                if not ok:
                    p.dump()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
