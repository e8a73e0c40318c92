#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""bench_mp_client_python.py — the bench_mp measurement for client_python's
multiprocess mode, for comparison (Debian's python3-prometheus-client).

    /usr/bin/python3 bench/bench_mp_client_python.py [DEATHS] [SCRAPES]

Same families and series as bench_mp.c (counter with 100 label tuples, 20
histogram, 20 summary and 20 livesum gauge tuples). 4 forked workers write
every series and stay alive; the scrape (MultiProcessCollector +
generate_latest, what a gunicorn app's /metrics does) is timed; then DEATHS
workers each write every series and die (every other one by SIGKILL), each
followed by multiprocess.mark_process_dead(pid) as gunicorn's child_exit hook
does; the scrape is timed again with the same 4 workers alive.
Prints `client_python-mp <name> <value> <unit>` lines.
"""
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time

DIR = tempfile.mkdtemp(prefix="promc-bench-cpmp-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = DIR

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary, generate_latest  # noqa: E402
from prometheus_client import multiprocess  # noqa: E402

deaths = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
scrapes = int(sys.argv[2]) if len(sys.argv) > 2 else 20

req = Counter("req", "Requests.", ["path", "code"])
lat = Histogram("latency_seconds", "Latency.", ["path"])
size = Summary("size_bytes", "Sizes.", ["path"])
inflight = Gauge("inflight", "In flight.", ["path"], multiprocess_mode="livesum")
cnt = [req.labels("/path/%d" % (i % 20), str(200 + i // 20)) for i in range(100)]
hist = [lat.labels("/path/%d" % i) for i in range(20)]
summ = [size.labels("/path/%d" % i) for i in range(20)]
gauge = [inflight.labels("/path/%d" % i) for i in range(20)]


def write_all():
    for c in cnt:
        c.inc()
    for i in range(20):
        hist[i].observe(0.25)
        summ[i].observe(0.25)
        gauge[i].inc()


def scrape_times(n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
        text = generate_latest(reg)
        out.append((time.perf_counter() - t0) * 1e6)
    return out, text


def fork_writer(stay):
    r, w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        write_all()
        os.write(w, b"x")
        if stay:
            os.read(go_r, 1)
        else:
            signal.pause()
        os._exit(0)
    os.read(r, 1)
    os.close(r)
    os.close(w)
    os.close(go_r)
    return pid, go_w


live = [fork_writer(True) for _ in range(4)]
before, text = scrape_times(scrapes)
t0 = time.perf_counter()
for i in range(deaths):
    pid, go_w = fork_writer(False)
    os.kill(pid, signal.SIGKILL if i % 2 == 0 else signal.SIGTERM)
    os.waitpid(pid, 0)
    os.close(go_w)
    multiprocess.mark_process_dead(pid)
death_us = (time.perf_counter() - t0) * 1e6 / max(deaths, 1)
after, text = scrape_times(max(3, scrapes // 4))
for pid, go_w in live:
    os.write(go_w, b"x")
    os.waitpid(pid, 0)
files = len(os.listdir(DIR))
shutil.rmtree(DIR)
want = 'req_total{code="200",path="/path/0"} %.1f' % (4 + deaths)
print("client_python-mp scrape_bytes %d bytes" % len(text))
print("client_python-mp scrape_before_median %.1f us" % statistics.median(before))
print("client_python-mp deaths %d count" % deaths)
print("client_python-mp fork_write_die_mark_dead %.1f us/death" % death_us)
print("client_python-mp scrape_after_median %.1f us" % statistics.median(after))
print("client_python-mp after_over_before %.2f ratio" % (statistics.median(after) / statistics.median(before)))
print("client_python-mp files_left %d count" % files)
print("client_python-mp totals_exact %d bool" % (want in text.decode()))
