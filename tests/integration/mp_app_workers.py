#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""mp_app_workers.py — examples/app --workers 4 (multi-process mode) end to end.

1. A known mix of requests: the scrape shows exact totals, and the work was
   spread over several worker pids (app_worker_requests{pid}).
2. Load keeps running while a worker is SIGKILLed 200 times (the master
   respawns each). A scraper polls /metrics all along with a bounded timeout:
   every scrape must answer. After the load stops, each counter's increase is
   checked against what the clients saw: every request the client saw complete
   is counted (no loss), and nothing is counted more than once: the increase
   is at most the completed requests plus the requests that failed on the
   client side (a worker killed after counting but before its reply reached
   the client cannot be told apart from outside). The figures are printed.

Everything runs on 127.0.0.1 with ephemeral ports; only the app this script
starts and that app's own children are ever signalled.
"""
import argparse
import http.client
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from promharness import app_ports, children_of, samples  # noqa: E402

KILLS = 200
SCRAPE_TIMEOUT = 5.0


def fail(msg):
    print("FAIL: " + msg, flush=True)
    raise SystemExit(1)


def request(port, method, path):
    """(status, body) or None when the connection failed."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request(method, path, body=b"x" if method == "POST" else None)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body
    except (OSError, http.client.HTTPException):
        return None


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=SCRAPE_TIMEOUT) as r:
        return r.read().decode()


# (method, path, expected status, the counters it moves)
def keys_for(method, path, status):
    ks = ['http_status_total{method="%s",url="%s",status_code="%d"}' % (method, path, status)]
    if method == "GET":
        ks.append("http_get_request_processing_seconds_count")
        if status == 200:
            ks.append("http_get_requests_total")
    else:
        if status == 200:
            ks.append("http_post_requests_total")
            ks.append('http_post_request_processing_seconds_count{method="POST",url="%s"}' % path)
    if status == 500:
        ks.append("exceptions_total")
    return ks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="promc-mp-app-")
    log_path = os.path.join(tmp, "app.log")
    env = dict(os.environ, PROMC_MULTIPROC_DIR=tmp)
    log = open(log_path, "w")
    app = subprocess.Popen([args.app, "--workers", "4", "--sleep-ms", "0-0", "--listen", "127.0.0.1:0",
                            "--metrics-listen", "127.0.0.1:0"], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        run(app, log_path)
    finally:
        if app.poll() is None:
            kids = children_of(app.pid)
            app.kill()
            app.wait()
            for k in kids:
                try:
                    os.kill(k, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        log.close()


def run(app, log_path):
    ports = app_ports(log_path, app)
    if not ports:
        fail("app exited early:\n" + open(log_path).read() if app.poll() is not None else "app did not start")
    app_port, metrics_port = ports

    # ---- 1. a known mix, no kills: exact -------------------------------
    mix = [("GET", "/a", 200, 300), ("POST", "/b", 200, 200), ("GET", "/x/error", 500, 50),
           ("POST", "/y/error", 500, 25)]
    jobs = [(m, p, s) for m, p, s, n in mix for _ in range(n)]
    random.shuffle(jobs)
    want = {}
    for m, p, s, n in mix:
        for k in keys_for(m, p, s):
            want[k] = want.get(k, 0) + n
    errors = []
    lock = threading.Lock()

    def worker(chunk):
        for m, p, s in chunk:
            r = request(app_port, m, p)
            if r is None or r[0] != s:
                with lock:
                    errors.append((m, p, r))

    ts = [threading.Thread(target=worker, args=(jobs[i::8],)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        fail("requests failed without any kill: %r" % errors[:5])
    got = samples(scrape(metrics_port))
    for k, v in sorted(want.items()):
        if got.get(k) != v:
            fail("phase 1: %s = %r, want %d" % (k, got.get(k), v))
    per_pid = {k: v for k, v in got.items() if k.startswith("app_worker_requests{")}
    busy = [k for k, v in per_pid.items() if v > 0]
    if len(busy) < 2 or sum(per_pid.values()) != len(jobs):
        fail("phase 1: work not spread or not summed: %r" % per_pid)
    print("phase 1: %d requests, exact totals; per worker: %s" %
          (len(jobs), ", ".join("%s=%d" % (k[len("app_worker_requests"):], v) for k, v in sorted(per_pid.items()))),
          flush=True)
    before = got

    # ---- 2. load while killing workers ---------------------------------
    stop = threading.Event()
    kinds = [("GET", "/load", 200), ("POST", "/load", 200), ("GET", "/load/error", 500)]
    ok = {k: 0 for k in kinds}
    failed = {k: 0 for k in kinds}

    def load(seed):
        rnd = random.Random(seed)
        while not stop.is_set():
            r = rnd.randrange(10)
            kind = kinds[2] if r == 0 else kinds[r % 2]
            r = request(app_port, kind[0], kind[1])
            with lock:
                if r is not None and r[0] == kind[2]:
                    ok[kind] += 1
                else:
                    failed[kind] += 1

    scrape_stats = {"n": 0, "errors": [], "max": 0.0}

    def scraper():
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                scrape(metrics_port)
            except Exception as e:  # a scrape that did not answer in time
                scrape_stats["errors"].append(repr(e))
            dt = time.monotonic() - t0
            scrape_stats["n"] += 1
            scrape_stats["max"] = max(scrape_stats["max"], dt)
            time.sleep(0.05)

    ts = [threading.Thread(target=load, args=(i,)) for i in range(6)] + [threading.Thread(target=scraper)]
    for t in ts:
        t.start()
    killed = 0
    victims = set()  # a SIGKILLed process may take a while to become a zombie: never pick it twice
    rnd = random.Random(6)
    t_start = time.monotonic()
    try:
        while killed < KILLS:
            wait_until = time.monotonic() + 10
            kids = [k for k in children_of(app.pid) if k not in victims]
            while len(kids) < 4 and time.monotonic() < wait_until:
                time.sleep(0.002)
                kids = [k for k in children_of(app.pid) if k not in victims]
            if len(kids) < 4:
                fail("workers not respawned: %r" % kids)
            victim = rnd.choice(kids)
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                continue
            victims.add(victim)
            killed += 1
            time.sleep(rnd.uniform(0.005, 0.03))
    finally:
        stop.set()
        for t in ts:
            t.join()
    kill_secs = time.monotonic() - t_start
    wait_until = time.monotonic() + 10
    while time.monotonic() < wait_until and (len(children_of(app.pid)) != 4 or
                                             any(k in victims for k in children_of(app.pid))):
        time.sleep(0.01)
    time.sleep(0.2)
    after = samples(scrape(metrics_port))

    if scrape_stats["errors"]:
        fail("scrapes failed during the kills: %r" % scrape_stats["errors"][:5])
    if scrape_stats["max"] >= SCRAPE_TIMEOUT:
        fail("a scrape took %.2f s" % scrape_stats["max"])
    lo, hi = {}, {}
    for kind in kinds:
        for k in keys_for(*kind):
            lo[k] = lo.get(k, 0) + ok[kind]
            hi[k] = hi.get(k, 0) + ok[kind] + failed[kind]
    total_ok = sum(ok.values())
    total_failed = sum(failed.values())
    print("phase 2: %d SIGKILLs in %.1f s; client saw %d requests complete, %d fail (connection cut by a kill)"
          % (killed, kill_secs, total_ok, total_failed), flush=True)
    print("phase 2: %d scrapes during the kills, all answered, slowest %.1f ms"
          % (scrape_stats["n"], scrape_stats["max"] * 1000), flush=True)
    bad = []
    for k in sorted(lo):
        d = after.get(k, 0) - before.get(k, 0)
        print("  %-80s +%d (completed %d, completed+failed %d)" % (k, d, lo[k], hi[k]), flush=True)
        if not (lo[k] <= d <= hi[k]):
            bad.append(k)
    if bad:
        fail("counts out of bounds: %r" % bad)
    def worker_pids(lines):
        return sorted(int(m) for m in re.findall(r'app_worker_requests\{pid="(\d+)"\}', "\n".join(lines)))

    # No dead worker is shown. A worker that replaced the last ones killed
    # may not have answered a request yet, and a liveall gauge shows only the
    # workers that wrote it: drive requests (bounded) until it has.
    live = sorted(children_of(app.pid))
    shown = worker_pids(after)
    if not set(shown) <= set(live):
        fail("liveall gauge shows pids %r, live workers are %r" % (shown, live))
    settle_until = time.monotonic() + 5
    while shown != live and time.monotonic() < settle_until:
        for _ in range(20):
            request(app_port, "GET", "/load")
        shown = worker_pids(samples(scrape(metrics_port)))
        live = sorted(children_of(app.pid))
    if shown != live:
        fail("liveall gauge shows pids %r, live workers are %r" % (shown, live))
    wait_until = time.monotonic() + 5
    while True:  # the master logs a death after respawning: let it catch up
        with open(log_path) as f:
            deaths = f.read().count(" died (signal 9)")
        if deaths >= KILLS or time.monotonic() > wait_until:
            break
        time.sleep(0.02)
    if deaths < KILLS:
        fail("the master saw %d SIGKILLed workers, want %d" % (deaths, KILLS))

    app.send_signal(signal.SIGTERM)
    try:
        rc = app.wait(timeout=15)
    except subprocess.TimeoutExpired:
        fail("app did not stop on SIGTERM")
    if rc != 0:
        fail("app exited with %d" % rc)
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
