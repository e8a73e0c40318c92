# SPDX-License-Identifier: Apache-2.0
"""What the integration scripts share: free loopback ports, HTTP requests,
bounded waits, processes started and stopped by PID with their logs, a real
Prometheus on a temporary storage directory and its HTTP API, and readers
for the exposition formats.

Scripts import it from their own location:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
Stdlib only; every wait here has a bound.
"""
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROMETHEUS = "/usr/bin/prometheus"
CONTENT_TYPES = {
    "text": "text/plain; version=0.0.4; charset=utf-8",
    "openmetrics": "application/openmetrics-text; version=1.0.0; charset=utf-8",
    "protobuf": "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
}
# What a Prometheus scraping each format is started with.
FORMAT_FLAGS = {"text": [], "openmetrics": ["--enable-feature=exemplar-storage"],
                "protobuf": ["--enable-feature=native-histograms", "--enable-feature=exemplar-storage"]}
WAIT_ERRORS = (OSError, ValueError, KeyError)


def missing(tools, hint="Debian package prometheus"):
    """"FAIL: T is not installed (hint)" for the first of tools that is not
    an executable file, else None: a test without its tool fails loudly."""
    for t in tools:
        if not os.access(t, os.X_OK):
            return f"FAIL: {t} is not installed ({hint})"
    return None


def free_port():
    """A port on 127.0.0.1 nobody listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, body=None, headers=None, timeout=5):
    """(status, body bytes); an HTTP error status is an answer, not an exception."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def http(method, url, body=None, headers=None, timeout=5):
    """request() with the body decoded as UTF-8 (bad bytes replaced)."""
    st, b = request(method, url, body, headers, timeout)
    return st, b.decode("utf-8", "replace")


def wait_for(what, fn, timeout, interval=0.25, until=None, errors=WAIT_ERRORS):
    """Calls fn() -> (ok, seen) until ok, at most timeout seconds (and not past
    the monotonic time until); returns the last seen, or raises
    AssertionError with it. The errors fn raises count as not yet."""
    start = time.monotonic()
    deadline = start + timeout if until is None else min(start + timeout, until)
    last = None
    while time.monotonic() < deadline:
        try:
            ok, last = fn()
            if ok:
                return last
        except errors as e:
            last = repr(e)
        time.sleep(interval)
    raise AssertionError(f"timed out after {time.monotonic() - start:.1f} s waiting for {what}; last seen: {last}")


def wait_port_file(path, proc, timeout=10):
    """The port a test server wrote to path ("N\\n"), or None if proc exited
    or nothing complete appeared within timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path) as f:
                text = f.read()
            if text.endswith("\n"):
                return int(text)
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            return None
        time.sleep(0.05)


def terminate(p, timeout=10, sig=signal.SIGTERM):
    """Sends sig to p (by PID) if it still runs and waits at most timeout s;
    a process still there then is SIGKILLed. True when it exited by itself."""
    if p.poll() is not None:
        return True
    p.send_signal(sig)
    try:
        p.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)
        return False


def log_tail(path, n):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")
    except OSError as e:
        return repr(e)


class Proc:
    """A program started here, its output in logdir/NAME.log."""

    def __init__(self, name, argv, logdir, env=None):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(logdir, name + ".log")
        self.log = open(self.log_path, "wb")
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    @property
    def pid(self):
        return self.p.pid

    def poll(self):
        return self.p.poll()

    def stop(self, timeout=10, sig=signal.SIGTERM):
        """Stops it (terminate()), closes the log; returns the exit code."""
        terminate(self.p, timeout, sig)
        self.log.close()
        return self.p.returncode

    def dump(self, tail=20000):
        sys.stdout.write(f"----- {self.name} log ({self.log_path}): {' '.join(self.argv)}\n")
        sys.stdout.write(log_tail(self.log_path, tail) + "\n")


def scrape_config(jobs, **settings):
    """prometheus.yml text: global settings (scrape_interval 1s unless given)
    and one static job per {job_name: [target, ...]}."""
    settings.setdefault("scrape_interval", "1s")
    out = ["global:"] + [f"  {k}: {v}" for k, v in settings.items()] + ["scrape_configs:"]
    for job, targets in jobs.items():
        tl = ", ".join(f"'{t}'" for t in targets)
        out += [f"  - job_name: {job}", "    static_configs:", f"    - targets: [{tl}]"]
    return "\n".join(out) + "\n"


def start_prometheus(tmp, config, port, flags=(), binary=PROMETHEUS, name="prometheus"):
    """binary with config (yml text) written to tmp/NAME.yml, storage in
    tmp/NAME-data, listening on 127.0.0.1:port; returns the Proc."""
    cfg = os.path.join(tmp, name + ".yml")
    with open(cfg, "w") as f:
        f.write(config)
    return Proc(name, [binary, f"--config.file={cfg}", f"--storage.tsdb.path={os.path.join(tmp, name + '-data')}",
                       f"--web.listen-address=127.0.0.1:{port}"] + list(flags), tmp)


class PromAPI:
    """A Prometheus' HTTP API (/api/v1) on 127.0.0.1:port."""

    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}/api/v1"

    def get(self, path, params):
        return http("GET", f"{self.base}/{path}?" + urllib.parse.urlencode(params))

    def query(self, q, strict=False):
        """The instant query's result list; None on an HTTP error (strict:
        ValueError on an HTTP error or a status other than success)."""
        st, body = self.get("query", {"query": q})
        if st != 200:
            if strict:
                raise ValueError(f"query {q}: HTTP {st}: {body[:300]}")
            return None
        d = json.loads(body)
        if strict and d.get("status") != "success":
            raise ValueError(f"query {q}: {body[:300]}")
        return d["data"]["result"]

    def scalar(self, q):
        """The value of the query's only series; None for none, several or an error."""
        res = self.query(q)
        if not res or len(res) != 1:
            return None
        return float(res[0]["value"][1])

    def exemplars(self, q, start, end):
        """(True, series list) or (False, the error body)."""
        st, body = self.get("query_exemplars", {"query": q, "start": f"{start:.3f}", "end": f"{end:.3f}"})
        if st != 200:
            return False, body
        return True, json.loads(body)["data"]

    def targets(self):
        st, body = http("GET", f"{self.base}/targets")
        if st != 200:
            raise ValueError(f"/targets: HTTP {st}: {body[:300]}")
        return json.loads(body)["data"]["activeTargets"]

    def print_targets(self):
        """Each target's health and lastError, for a failure report; never raises."""
        try:
            for t in self.targets():
                print(f"target {t['labels'].get('job')} {t['scrapeUrl']}: health={t['health']} "
                      f"lastError={t['lastError']!r}")
        except Exception as e:  # the report must not hide the failure
            print(f"(could not read /api/v1/targets: {e!r})")


def serve_static(body, ctype, seen=None):
    """A threaded HTTP server on a free 127.0.0.1 port answering every GET
    with body; appends each request's Accept header to seen. Call
    shutdown() and server_close() on it when done."""

    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            if seen is not None:
                seen.append(self.headers.get("Accept", ""))
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", free_port()), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def samples(text):
    """{'name{labels}': value} of a text exposition, as written."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def split_delimited(data):
    """The messages of a varint-length-delimited protobuf stream; ValueError
    if the last one is cut short."""
    msgs, i = [], 0
    while i < len(data):
        n = shift = 0
        while True:
            if i >= len(data):
                raise ValueError("truncated delimited message")
            b = data[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        if i + n > len(data):
            raise ValueError("truncated delimited message")
        msgs.append(data[i:i + n])
        i += n
    return msgs


def same(a, b, signed_zero=True):
    """a == b, NaN equal to NaN; with signed_zero, -0.0 differs from 0.0.
    Values other than numbers compare with ==."""
    if isinstance(a, float) and math.isnan(a) or isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b and (not signed_zero or math.copysign(1, a) == math.copysign(1, b))
    return a == b


def children_of(ppid):
    """PIDs of the live (not zombie) processes whose parent is ppid, from /proc."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        rest = st[st.rindex(")") + 2:].split()
        if int(rest[1]) == ppid and rest[0] not in ("Z", "X"):
            out.append(int(d))
    return out


APP_PORTS = re.compile(r"app on 127\.0\.0\.1:(\d+), metrics on 127\.0\.0\.1:(\d+)")


def app_ports(log_path, proc, timeout=15, ready=None):
    """(app port, metrics port) from the line examples/app logs once it
    listens, when ready() (if given) is true too; None if proc exits first or
    timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path) as f:
            m = APP_PORTS.search(f.read())
        if m and (ready is None or ready()):
            return int(m.group(1)), int(m.group(2))
        if proc.poll() is not None:
            return None
        time.sleep(0.05)
    return None
