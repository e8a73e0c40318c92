#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Hostile input must not poison a scrape; real parsers are the judges.

  hostile_input.py --gen PATH/hostile_gen [--prometheus P] [--promtool T]
  hostile_input.py --app PATH/app         [--prometheus P] [--promtool T]

--gen: tests/hostile_gen.c feeds a registry every input that once made
promc write what no parser reads (label values, help, const and info labels,
enum states that are not UTF-8; an enum named with a colon; NULL label
values; negative and NaN observations; an exemplar timestamp beyond int64;
collectors emitting duplicate labels, le/quantile labels, families twice or
clashing, histograms without bounds, gauge histograms) and writes the text,
OpenMetrics and protobuf expositions. Then:
  - promtool check metrics accepts the text, with nothing to say;
  - client_python's text parser reads the text and its OpenMetrics parser
    the OpenMetrics, both decoded as strict UTF-8;
  - one real Prometheus scrapes the three, served here on 127.0.0.1, and
    every target is up == 1 with the accepted values exact.
--app: examples/app is sent a GET whose path holds bytes that are not UTF-8
(0xFF, Latin-1 0xE9); the request must count under url="/caf\ufffd/\ufffd",
the exposition must pass promtool and client_python, and a real Prometheus
scraping the app's metrics port must see up == 1 and that sample.

Bounded waits, loopback only, free ports, a temporary storage directory;
kills only what it started, by PID. A missing tool is a failure, never a
skip. Exit status 0 = pass.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import promharness  # noqa: E402
from promharness import (CONTENT_TYPES as CTYPE, PromAPI, Proc, free_port, missing, request, same,  # noqa: E402
                         scrape_config, serve_static as serve, start_prometheus)

WAIT_S = 40
FILES = {"text": "metrics.txt", "openmetrics": "metrics.om", "protobuf": "metrics.pb"}

# PromQL -> exact value (None: no result), the same from every format; I
# stands for the instance="..." matcher of the target.
GEN_EXPECT = {
    'hostile_requests_total{I,path=""}': 2.0,
    # PromQL escapes: Prometheus 2.42's lexer takes a literal U+FFFD for an error
    'hostile_requests_total{I,path="/\\u00fc\\ufffd\\U0010ffff"}': 4.0,
    'count(hostile_requests_total{I})': 2.0,
    'hostile_temperature_celsius{I}': -3.5,
    'hostile_build_info{I,version="1.0"}': 1.0,
    'hostile_mode{I,hostile_mode="b"}': 1.0,
    'hostile_mode{I,hostile_mode="a"}': 0.0,
    'hostile_latency_seconds_bucket{I,kind="neg",le="+Inf"}': 2.0,
    'hostile_latency_seconds_bucket{I,kind="nan",le="+Inf"}': 1.0,
    'hostile_latency_seconds_count{I,kind="pos"}': 1.0,
    'hostile_latency_seconds_sum{I,kind="pos"}': 0.5,
    'hostile_offset_seconds_count{I,peer="b"}': 1.0,
    'hostile_jobs_total{I,queue="mail"}': 4.0,
    'count(hostile_jobs_total{I})': 1.0,
    'hostile_wait_seconds_bucket{I,pool="a",le="+Inf"}': 3.0,
    'count(hostile_wait_seconds_bucket{I,le="+Inf"})': 2.0,
    'hostile_rtt_seconds_count{I,peer="b"}': None,
    'hostile_queue_age_seconds_bucket{I,queue="mail",le="+Inf"}': 3.0,
    # protobuf with native histograms on: Prometheus 2.42 stores a gauge
    # histogram under its family name, not as _bucket series
    'clamp_max(count(hostile_queue_age_seconds{I,queue="mail"}), 1)': None,
    '{I,__name__=~"hostile_bad_help|hostile_const_gauge|hostile_bad_state|hostile_help_gauge"}': None,
}
PB_EXPECT = {
    'hostile_queue_age_seconds_bucket{I,queue="mail",le="+Inf"}': None,
    'clamp_max(count(hostile_queue_age_seconds{I,queue="mail"}), 1)': 1.0,
}
APP_PATH_RAW = b"/caf\xe9/\xff"
APP_URL = "/caf\ufffd/\ufffd"


def fail(msg):
    raise AssertionError(msg)


def get(url, headers=None, timeout=5):
    return request("GET", url, headers=headers, timeout=timeout)


def wait_for(what, fn, timeout=WAIT_S):
    return promharness.wait_for(what, fn, timeout, interval=0.3)


def judge_promtool(promtool, text):
    p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, timeout=30)
    out = (p.stdout + p.stderr).decode("utf-8", "replace").strip()
    if p.returncode != 0 or out:
        fail(f"promtool check metrics: status {p.returncode}: {out}")
    print("PASS promtool check metrics: nothing to say")


def judge_client_python(text, om):
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse
    from prometheus_client.parser import text_string_to_metric_families as text_parse
    try:
        n = len(list(text_parse(text.decode("utf-8", "strict"))))
    except (UnicodeDecodeError, ValueError) as e:
        fail(f"client_python's text parser: {e!r}")
    print(f"PASS client_python text parser: {n} families")
    if om is not None:
        try:
            m = len(list(om_parse(om.decode("utf-8", "strict"))))
        except (UnicodeDecodeError, ValueError) as e:
            fail(f"client_python's OpenMetrics parser: {e!r}")
        print(f"PASS client_python OpenMetrics parser: {m} families")


def with_prometheus(prometheus, targets, tmp, check):
    """Starts Prometheus scraping targets (job "hostile"), runs check(query)."""
    port = free_port()
    prom = start_prometheus(tmp, scrape_config({"hostile": targets}, scrape_timeout="1s"), port,
                            ["--enable-feature=native-histograms"], prometheus)
    ok = False
    try:
        check(PromAPI(port).query)
        ok = True
    finally:
        prom.stop()
        if not ok:
            prom.dump(4000)


def run_gen(a, tmp):
    subprocess.run([a.gen, tmp], check=True, timeout=60)
    body = {m: open(os.path.join(tmp, f), "rb").read() for m, f in FILES.items()}
    if not a.prometheus_only:
        judge_promtool(a.promtool, body["text"])
        judge_client_python(body["text"], body["openmetrics"])
    servers = {m: serve(body[m], CTYPE[m]) for m in FILES}
    inst = {m: f"127.0.0.1:{s.server_address[1]}" for m, s in servers.items()}
    try:
        def check(query):
            def up():
                got = {}
                for m, i in inst.items():
                    r = query(f'up{{job="hostile",instance="{i}"}}')
                    got[m] = float(r[0]["value"][1]) if r else None
                return all(v == 1 for v in got.values()), got

            wait_for("up == 1 for the text, OpenMetrics and protobuf targets", up)

            def values():
                bad = {}
                for m, i in inst.items():
                    for q, want in GEN_EXPECT.items():
                        want = PB_EXPECT.get(q, want) if m == "protobuf" else want
                        r = query(q.replace("{I", '{instance="%s"' % i))
                        got = float(r[0]["value"][1]) if r else None
                        if (want is None) != (got is None) or (want is not None and not same(got, want, signed_zero=False)):
                            bad[(m, q)] = (got, want, r)
                return not bad, bad

            try:
                wait_for("the accepted values, exact, from every format (and nothing refused)", values)
            except AssertionError:
                for m, i in inst.items():
                    r = query('group by (__name__) ({instance="%s",__name__=~"hostile.*"})' % i) or []
                    print(m, "has", sorted(x["metric"]["__name__"] for x in r))
                raise
            print(f"PASS Prometheus: up == 1 for {sorted(inst)} and {len(GEN_EXPECT)} exact values each")

        with_prometheus(a.prometheus, list(inst.values()), tmp, check)
    finally:
        for s in servers.values():
            s.shutdown()
            s.server_close()


def run_app(a, tmp):
    ap, mp = free_port(), free_port()
    p = Proc("app", [a.app, "--listen", f"127.0.0.1:{ap}", "--metrics-listen", f"127.0.0.1:{mp}",
                     "--sleep-ms", "0-0"], tmp)
    ok = False
    try:
        wait_for("the app to serve metrics", lambda: (get(f"http://127.0.0.1:{mp}/metrics")[0] == 200, None), 15)
        with socket.create_connection(("127.0.0.1", ap), timeout=10) as s:
            s.sendall(b"GET " + APP_PATH_RAW + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            reply = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
        if not reply.startswith(b"HTTP/1.1 200"):
            fail(f"the app answered {reply[:200]!r}")
        st, text = get(f"http://127.0.0.1:{mp}/metrics")
        st2, om = get(f"http://127.0.0.1:{mp}/metrics", {"Accept": "application/openmetrics-text; version=1.0.0"})
        if st != 200 or st2 != 200:
            fail(f"metrics answered {st}, {st2}")
        if not a.prometheus_only:
            judge_promtool(a.promtool, text)
            judge_client_python(text, om)
        want = 'http_status_total{method="GET",url="%s",status_code="200"} 1.0' % APP_URL
        from prometheus_client.parser import text_string_to_metric_families as text_parse
        lines = [] if a.prometheus_only else [
            f"{s.name}{{{','.join(f'{k}={json.dumps(v, ensure_ascii=False)}' for k, v in s.labels.items())}}} {s.value}"
            for fam in text_parse(text.decode()) for s in fam.samples]
        if not a.prometheus_only and want not in lines:
            fail(f"{want!r} not in the exposition:\n" + "\n".join(l for l in lines if l.startswith("http_status")))
        print(f"PASS the app answered the request with bytes {APP_PATH_RAW!r} in its path")

        def check(query):
            t = f"127.0.0.1:{mp}"
            wait_for("up == 1 for the app", lambda: ((query(f'up{{instance="{t}"}}') or [{"value": [0, "0"]}])[0]
                                                     ["value"][1] == "1", query(f'up{{instance="{t}"}}')))
            q = 'http_status_total{instance="%s",method="GET",url="/caf\\ufffd/\\ufffd",status_code="200"}' % t
            wait_for("the app's sample in Prometheus",
                     lambda: ((query(q) or [{"value": [0, "0"]}])[0]["value"][1] == "1", query(q)))
            print("PASS Prometheus: the app is up == 1 and the request is counted")

        with_prometheus(a.prometheus, [f"127.0.0.1:{mp}"], tmp, check)
        ok = True
    finally:
        p.stop()
        if not ok:
            p.dump(3000)


def main():
    ap = argparse.ArgumentParser()
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--gen")
    g.add_argument("--app")
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    ap.add_argument("--promtool", default="/usr/bin/promtool")
    ap.add_argument("--prometheus-only", action="store_true",
                    help="skip promtool and client_python (to see Prometheus' own verdict on old output)")
    a = ap.parse_args()
    if m := missing([a.prometheus, a.promtool]):
        print(m)
        return 1
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        print("FAIL: client_python is not installed (Debian package python3-prometheus-client)")
        return 1
    tmp = tempfile.mkdtemp(prefix="promc-hostile-")
    try:
        (run_gen if a.gen else run_app)(a, tmp)
        return 0
    except (AssertionError, UnicodeDecodeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
