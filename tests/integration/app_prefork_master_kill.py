#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""app_prefork_master_kill.py — examples/app --workers 3: the workers die with
their master and never hold the metrics socket.

1. While the app runs, no worker holds the metrics listening socket (its
   inode, from /proc/net/tcp, among /proc/<worker>/fd) and the app and
   metrics ports both answer.
2. The master is SIGKILLed: within 5 s no worker is left alive.
3. A new master started on the same two ports binds both and serves them,
   then stops on SIGTERM with status 0.

Everything runs on 127.0.0.1 with ephemeral ports; only the apps this script
starts and their own children are ever signalled, by pid. The script makes
itself a child subreaper, so the orphaned workers become its children and it
reaps them (a container's init may not).
"""
import argparse
import ctypes
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from promharness import app_ports, children_of  # noqa: E402

DEATH_BOUND = 5.0


def alive(pid):
    """True while pid exists and is not a zombie (a dead process its new
    parent has not reaped yet holds no socket)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rindex(")") + 2] not in "ZX"


def listen_inode(port):
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            p = line.split()
            if int(p[1].rsplit(":", 1)[1], 16) == port and p[3] == "0A":
                return p[9]
    return None


def holds_socket(pid, inode):
    want = "socket:[%s]" % inode
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == want:
                return True
        except OSError:
            pass
    return False


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        return r.read().decode()


def start(app, listen, metrics, tmp, tag):
    log_path = os.path.join(tmp, "app-%s.log" % tag)
    log = open(log_path, "w")
    env = dict(os.environ, PROMC_MULTIPROC_DIR=tmp)
    p = subprocess.Popen([app, "--workers", "3", "--sleep-ms", "0-0", "--listen", listen,
                          "--metrics-listen", metrics], stdout=log, stderr=subprocess.STDOUT, env=env)
    log.close()
    ports = app_ports(log_path, p, ready=lambda: len(children_of(p.pid)) == 3)
    return (p,) + (ports or (None, None)) + (log_path,)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="promc-prefork-kill-")
    PR_SET_CHILD_SUBREAPER = 36
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("FAIL: prctl(PR_SET_CHILD_SUBREAPER): errno %d" % ctypes.get_errno(), flush=True)
        raise SystemExit(1)
    started = []  # (process, its workers) for the clean-up
    problems = []
    try:
        run(args.app, tmp, started, problems)
    finally:
        for p, kids in started:
            for k in kids + children_of(p.pid):
                if alive(k):
                    try:
                        os.kill(k, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            if p.poll() is None:
                p.kill()
                p.wait()
        deadline = time.monotonic() + 10  # reap the orphans that became ours
        while time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.02)
    if problems:
        for m in problems:
            print("FAIL: " + m, flush=True)
        raise SystemExit(1)
    print("PASS", flush=True)


def run(app, tmp, started, problems):
    p, app_port, metrics_port, log_path = start(app, "127.0.0.1:0", "127.0.0.1:0", tmp, "first")
    workers = children_of(p.pid)
    started.append((p, workers))
    if app_port is None:
        problems.append("the first app did not start:\n" + open(log_path).read())
        return
    print("first master %d: app port %d, metrics port %d, workers %r" % (p.pid, app_port, metrics_port, workers),
          flush=True)

    # ---- 1. workers hold the app socket only --------------------------------
    if get(app_port, "/hello")[0] != 200:
        problems.append("the app port did not answer")
    if "http_get_requests_total 1" not in scrape(metrics_port):
        problems.append("the scrape did not count the request")
    inode = listen_inode(metrics_port)
    if inode is None:
        problems.append("no listening socket found for the metrics port %d" % metrics_port)
    else:
        holders = [w for w in workers if holds_socket(w, inode)]
        if holders:
            problems.append("workers %r hold the metrics listening socket" % holders)
        if not holds_socket(p.pid, inode):
            problems.append("the master does not hold the metrics socket (the check is blind)")

    # ---- 2. SIGKILL the master: the workers follow -------------------------
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    t0 = time.monotonic()
    while time.monotonic() - t0 < DEATH_BOUND and any(alive(w) for w in workers):
        time.sleep(0.02)
    survivors = [w for w in workers if alive(w)]
    if survivors:
        problems.append("%d of %d workers still alive %.1f s after the master's SIGKILL: %r"
                        % (len(survivors), len(workers), DEATH_BOUND, survivors))
    else:
        print("all %d workers gone %.2f s after the master's SIGKILL" % (len(workers), time.monotonic() - t0),
              flush=True)

    # ---- 3. a new master binds both ports -----------------------------------
    # (survivors, if any, are still there: the clean-up kills them)
    q, app2, metrics2, log2 = start(app, "127.0.0.1:%d" % app_port, "127.0.0.1:%d" % metrics_port, tmp, "second")
    started.append((q, children_of(q.pid)))
    if app2 is None:
        problems.append("a new master on the same ports did not start:\n" + open(log2).read())
        return
    if (app2, metrics2) != (app_port, metrics_port):
        problems.append("the new master reports ports %d/%d" % (app2, metrics2))
    if get(app_port, "/again")[0] != 200:
        problems.append("the new master's app port did not answer")
    if 'url="/again"' not in scrape(metrics_port):
        problems.append("the new master's scrape does not show its request")
    print("new master %d bound app port %d and metrics port %d" % (q.pid, app_port, metrics_port), flush=True)
    q.send_signal(signal.SIGTERM)
    try:
        rc = q.wait(timeout=15)
    except subprocess.TimeoutExpired:
        problems.append("the new master did not stop on SIGTERM")
        return
    if rc != 0:
        problems.append("the new master exited with %d" % rc)


if __name__ == "__main__":
    main()
