#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""bench_mp_gunicorn.py — client_python's multiprocess mode under a real
gunicorn (Debian's gunicorn and python3-prometheus-client): scrape time of
/metrics with 4 live workers before and after DEATHS SIGKILLed workers.

    /usr/bin/python3 bench/bench_mp_gunicorn.py [DEATHS]      (default 1000)

The app (bench/gunicorn/mp_app.py) has bench_mp's families; each worker
writes every series on GET /work; the gunicorn config calls
multiprocess.mark_process_dead in child_exit, as client_python documents.
Before each kill, /work is requested until the victim has written. Only the
gunicorn master started here and its own workers are signalled."""
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

deaths = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
here = os.path.dirname(os.path.abspath(__file__))
d = tempfile.mkdtemp(prefix="promc-bench-gunicorn-")
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=d, PYTHONPATH=os.path.join(here, "gunicorn"))
g = subprocess.Popen(["/usr/bin/python3", "-m", "gunicorn", "-w", "4", "-b", "127.0.0.1:%d" % port,
                      "-c", os.path.join(here, "gunicorn", "gunicorn_conf.py"), "--log-level", "warning",
                      "mp_app:app"], env=env)


def workers():
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                st = open("/proc/%s/stat" % p).read()
            except OSError:
                continue
            rest = st[st.rindex(")") + 2:].split()
            if int(rest[1]) == g.pid and rest[0] not in "ZX":
                out.append(int(p))
    return out


def get(path, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return body


def scrape_us(n):
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        get("/metrics")
        t.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(t)


try:
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            get("/work", 2)
            if len(workers()) == 4:
                break
        except OSError:
            time.sleep(0.1)
    files_of = lambda pid: any(f.endswith("_%d.db" % pid) for f in os.listdir(d))
    while not all(files_of(w) for w in workers()):
        get("/work")
    before = scrape_us(20)
    t0 = time.time()
    for i in range(deaths):
        while len(workers()) < 4:
            time.sleep(0.005)
        ws = workers()
        victim = ws[i % 4]
        while not files_of(victim):
            get("/work")
        os.kill(victim, signal.SIGKILL)
        while victim in workers():
            time.sleep(0.001)
    kill_s = time.time() - t0
    while len(workers()) < 4:
        time.sleep(0.01)
    while not all(files_of(w) for w in workers()):
        get("/work")
    after = scrape_us(5)
    files = len(os.listdir(d))
    print("gunicorn-client_python-mp scrape_before_median %.1f us" % before)
    print("gunicorn-client_python-mp deaths %d count (%.1f s)" % (deaths, kill_s))
    print("gunicorn-client_python-mp scrape_after_median %.1f us" % after)
    print("gunicorn-client_python-mp after_over_before %.2f ratio" % (after / before))
    print("gunicorn-client_python-mp files_left %d count" % files)
finally:
    g.send_signal(signal.SIGTERM)
    try:
        g.wait(timeout=30)
    except subprocess.TimeoutExpired:
        g.kill()
        g.wait()
    shutil.rmtree(d, ignore_errors=True)
