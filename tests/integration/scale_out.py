#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The scale-out path end to end: three examples/app instances scraped by an
agent that forwards everything to a central store; the totals queried there
must equal the requests served.

  --mode prometheus  Debian's prometheus in agent mode (--enable-feature=agent,
                     the 2.42 spelling) with examples/scale-out/agent.yml,
                     remote-writing to a second prometheus started with
                     --web.enable-remote-write-receiver (central.yml)
  --mode victoria    Debian's vmagent with examples/scale-out/vmagent.yml,
                     remote-writing to victoria-metrics; examples/batch_job
                     also pushes to vmagent's /api/v1/import/prometheus
                     (gzip, a background pusher) and its figures must
                     arrive too

The config files are read from examples/scale-out/ and used as they are,
except that the fixed ports they name are replaced by free 127.0.0.1 ports
and the data directories are temporary.  Every wait is bounded (the whole
test by --budget seconds); only the processes started here are stopped, by
PID.  Stdlib only.  Exit status 0 = pass.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import promharness  # noqa: E402
from promharness import PromAPI, Proc, free_port, http  # noqa: E402

# requests driven to each app instance: GETs and POSTs
LOAD = [(7, 2), (11, 3), (13, 5)]


class Budget:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        return self.end - time.monotonic()


def wait_for(what, fn, budget, limit):
    """A wait bounded by limit and by what is left of the whole test's budget."""
    return promharness.wait_for(what, fn, limit, until=budget.end,
                                errors=promharness.WAIT_ERRORS + (IndexError,))


def query(api, q):
    return {json.dumps(r["metric"], sort_keys=True): float(r["value"][1]) for r in api.query(q, strict=True)}


def config(src, ports):
    """The example file with its fixed ports replaced by the free ones."""
    with open(src) as f:
        text = f.read()
    for fixed, free in ports.items():
        text = text.replace(f"127.0.0.1:{fixed}", f"127.0.0.1:{free}")
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["prometheus", "victoria"], required=True)
    ap.add_argument("--app", required=True)
    ap.add_argument("--batch-job")
    ap.add_argument("--examples", required=True, help="examples/scale-out directory")
    ap.add_argument("--budget", type=float, default=55)
    a = ap.parse_args()
    budget = Budget(a.budget)
    tools = {"prometheus": ["/usr/bin/prometheus"],
             "victoria": ["/usr/bin/vmagent", "/usr/bin/victoria-metrics"]}[a.mode]
    for t in tools + [a.app] + ([a.batch_job] if a.mode == "victoria" else []):
        if not t or not os.access(t, os.X_OK):
            print(f"FAIL: {t} is not installed (Debian packages prometheus, victoria-metrics; scripts/deps.sh test)")
            return 1

    tmp = tempfile.mkdtemp(prefix=f"promc-scale-{a.mode}-")
    procs = []
    ok = False
    t0 = time.monotonic()
    try:
        # three app instances; the example configs name metrics ports 8001-8003
        apps = []
        ports = {}
        for i in range(3):
            ap_port, m_port = free_port(), free_port()
            ports[8001 + i] = m_port
            procs.append(Proc(f"app{i + 1}", [a.app, "--listen", f"127.0.0.1:{ap_port}",
                                              "--metrics-listen", f"127.0.0.1:{m_port}", "--sleep-ms", "0-0"], tmp))
            apps.append((ap_port, m_port))
        for ap_port, m_port in apps:
            wait_for(f"app metrics on {m_port}",
                     lambda: (http("GET", f"http://127.0.0.1:{m_port}/metrics")[0] == 200, None), budget, 10)

        central, agent = free_port(), free_port()
        if a.mode == "prometheus":
            ports[9090] = central
            cfg = os.path.join(tmp, "agent.yml")
            with open(cfg, "w") as f:
                f.write(config(os.path.join(a.examples, "agent.yml"), ports))
            procs.append(Proc("central", ["/usr/bin/prometheus",
                                          f"--config.file={os.path.join(a.examples, 'central.yml')}",
                                          "--web.enable-remote-write-receiver",
                                          f"--storage.tsdb.path={os.path.join(tmp, 'central')}",
                                          f"--web.listen-address=127.0.0.1:{central}"], tmp))
            procs.append(Proc("agent", ["/usr/bin/prometheus", "--enable-feature=agent", f"--config.file={cfg}",
                                        f"--storage.agent.path={os.path.join(tmp, 'agent')}",
                                        f"--web.listen-address=127.0.0.1:{agent}"], tmp))
            ready = "/-/ready"
            site = "site-a"
        else:
            cfg = os.path.join(tmp, "vmagent.yml")
            with open(cfg, "w") as f:
                f.write(config(os.path.join(a.examples, "vmagent.yml"), ports))
            # -search.latencyOffset: by default VictoriaMetrics hides the last
            # 30 s from instant queries (samples still arriving); the test
            # queries what has just been written.
            procs.append(Proc("central", ["/usr/bin/victoria-metrics", f"-httpListenAddr=127.0.0.1:{central}",
                                          f"-storageDataPath={os.path.join(tmp, 'vm')}",
                                          "-search.latencyOffset=1s", "-search.disableCache"], tmp))
            procs.append(Proc("agent", ["/usr/bin/vmagent", f"-promscrape.config={cfg}",
                                        f"-httpListenAddr=127.0.0.1:{agent}",
                                        f"-remoteWrite.url=http://127.0.0.1:{central}/api/v1/write",
                                        f"-remoteWrite.tmpDataPath={os.path.join(tmp, 'vmagent')}",
                                        "-remoteWrite.label=site=site-b", "-remoteWrite.flushInterval=1s"], tmp))
            ready = "/health"
            site = "site-b"
        for name, port in (("central", central), ("agent", agent)):
            wait_for(f"{name} ready on {port}",
                     lambda: (http("GET", f"http://127.0.0.1:{port}{ready}")[0] == 200, None), budget, 20)

        # the known load
        for (gets, posts), (ap_port, _) in zip(LOAD, apps):
            for _ in range(gets):
                st, _body = http("GET", f"http://127.0.0.1:{ap_port}/work")
                assert st == 200, f"GET /work answered {st}"
            for _ in range(posts):
                st, _body = http("POST", f"http://127.0.0.1:{ap_port}/work", body=b"x")
                assert st == 200, f"POST /work answered {st}"
        # and what each app says it served, before the central store is asked
        served = []
        for (gets, posts), (_, m_port) in zip(LOAD, apps):
            _, text = http("GET", f"http://127.0.0.1:{m_port}/metrics")
            lines = dict(l.rsplit(" ", 1) for l in text.splitlines() if l and not l.startswith("#"))
            g, p = float(lines["http_get_requests_total"]), float(lines["http_post_requests_total"])
            assert (g, p) == (gets, posts), f"app on {m_port} counted {g} GETs, {p} POSTs; sent {gets}, {posts}"
            served.append((g, p))

        batch_items = 17
        if a.mode == "victoria":
            url = f"http://127.0.0.1:{agent}/api/v1/import/prometheus?extra_label=job=nightly"
            r = subprocess.run([a.batch_job, "--import", url, "--gzip", "--interval-ms", "10",
                                "--items", str(batch_items), "--header", "X-Scope-OrgID: promc-test"],
                               capture_output=True, text=True, timeout=max(5, budget.left()))
            print(r.stdout.strip())
            assert r.returncode == 0, f"batch_job exited {r.returncode}: {r.stderr}"
            pushes = int(r.stdout.split(" progress pushes")[0].rsplit("; ", 1)[1])
            assert pushes >= 2, f"only {pushes} progress pushes in a 34 ms run at 10 ms"

        base = PromAPI(central)
        want = {}
        for (g, p), (_, m_port) in zip(served, apps):
            inst = f"127.0.0.1:{m_port}"
            want[json.dumps({"instance": inst, "job": "app", "site": site}, sort_keys=True)] = g
        total_get = sum(g for g, _ in served)
        total_post = sum(p for _, p in served)

        def central_has_it():
            got = query(base, "sum by (instance, job, site) (http_get_requests_total)")
            tg = query(base, "sum(http_get_requests_total)")
            tp = query(base, "sum(http_post_requests_total)")
            up = query(base, 'up{job="app"}')
            seen = (got, tg, tp, up)
            if got != want or list(tg.values()) != [total_get] or list(tp.values()) != [total_post]:
                return False, seen
            if sorted(up.values()) != [1.0, 1.0, 1.0]:
                return False, seen
            if a.mode == "victoria":
                b = query(base, 'job_items_processed_total{job="nightly"}')
                if list(b.values()) != [batch_items]:
                    return False, (seen, b)
            return True, seen

        got = wait_for("the central store's totals", central_has_it, budget, 45)
        print(f"central {a.mode}: per instance {sorted(got[0].values())}, "
              f"sum GET {got[1]}, sum POST {got[2]} == requests served, up == 1 for {len(got[3])} targets "
              f"({total_get:.0f} GET, {total_post:.0f} POST)"
              + (f"; batch_job's {batch_items} items arrived through vmagent's import" if a.mode == "victoria" else "")
              + f"; {time.monotonic() - t0:.1f} s")
        ok = True
    except AssertionError as e:
        print(f"FAIL: {e}")
    finally:
        for p in reversed(procs):
            p.stop()
        if not ok:
            for p in procs:
                p.dump(6000)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
