#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A real Prometheus ingests promc's three formats identically.

  om_prom_e2e.py --gen PATH/om_e2e_gen [--prometheus /usr/bin/prometheus]

om_e2e_gen writes one registry (counters with hostile label values, gauges
with -0, 1e21, 1e-9, NaN, -Inf, a histogram, a summary, an info, an enum,
counter and bucket exemplars) as text, OpenMetrics and protobuf. Each file is
served here, in turn, to /usr/bin/prometheus: text with no feature flag,
OpenMetrics with --enable-feature=exemplar-storage, protobuf with
native-histograms and exemplar-storage (the Accept header of each run is
checked to prefer that format). For every run the same PromQL queries must
return the same exact values, and for OpenMetrics and protobuf
/api/v1/query_exemplars must return every exemplar with its labels, value
and timestamp. Kills only what it started, by PID; exit status 0 = pass.
"""
import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promharness  # noqa: E402
from promharness import (CONTENT_TYPES as CTYPE, FORMAT_FLAGS as FLAGS, PromAPI, free_port, missing, same,  # noqa: E402
                         scrape_config, serve_static as serve, start_prometheus)

WAIT_S = 40
FILES = {"text": "metrics.txt", "openmetrics": "metrics.om", "protobuf": "metrics.pb"}
# What each run's Accept header must rank first.
ACCEPT_FIRST = {"text": "application/openmetrics-text", "openmetrics": "application/openmetrics-text",
                "protobuf": "application/vnd.google.protobuf"}

# PromQL -> exact value; the same for every format. (le values without an
# integral spelling: Prometheus 2.x keeps "1" and "1.0" as different labels.)
EXPECT = {
    'e2e_requests_total{method="GET",path="/a\\"b\\\\c\\nd"}': 7.0,
    'e2e_requests_total{method="POST",path="/\u00fc"}': 2.5,
    'e2e_temperature_celsius{where="a"}': -0.0,
    'e2e_temperature_celsius{where="b"}': 1e21,
    'e2e_temperature_celsius{where="c"}': 1e-9,
    'e2e_temperature_celsius{where="d"}': float("nan"),
    'e2e_temperature_celsius{where="e"}': float("-inf"),
    'e2e_latency_seconds_bucket{route="/x",le="0.005"}': 0.0,
    'e2e_latency_seconds_bucket{route="/x",le="0.1"}': 2.0,
    'e2e_latency_seconds_bucket{route="/x",le="2.5"}': 3.0,
    'e2e_latency_seconds_bucket{route="/x",le="+Inf"}': 4.0,
    'e2e_latency_seconds_count{route="/x"}': 4.0,
    'e2e_latency_seconds_sum{route="/x"}': 0.05 + 0.1 + 2 + 7,
    'e2e_payload_bytes_count': 2.0,
    'e2e_payload_bytes_sum': 30.5,
    'e2e_build_info{version="1.2.3",commit="ab\\"c"}': 1.0,
    'e2e_state{e2e_state="running"}': 1.0,
    'e2e_state{e2e_state="starting"}': 0.0,
}


def exemplars_expected(base):
    return {
        "e2e_requests_total": [({"method": "GET", "path": '/a"b\\c\nd'}, {"trace_id": "c0ffee"}, 2.0, base + 0.25)],
        "e2e_latency_seconds_bucket": [
            ({"route": "/x", "le": "0.1"}, {"trace_id": "beef01"}, 0.05, base + 1.5),
            ({"route": "/x", "le": "+Inf"}, {"trace_id": "beef02", "span_id": "\u00e9"}, 7.0, base + 2),
        ],
    }


def wait_for(what, fn, timeout=WAIT_S):
    return promharness.wait_for(what, fn, timeout, interval=0.3)


def run(mode, prometheus, body, base, tmp):
    seen = []
    srv = serve(body, CTYPE[mode], seen)
    port = free_port()
    api = PromAPI(port)
    p = start_prometheus(tmp, scrape_config({"e2e": [f"127.0.0.1:{srv.server_address[1]}"]}), port, FLAGS[mode],
                         prometheus, name=mode)
    ok = False
    try:
        scalar = api.scalar

        wait_for("up == 1", lambda: (scalar('up{job="e2e"}') == 1, scalar('up{job="e2e"}')))
        first = seen[-1].split(",")[0].split(";")[0]
        assert first == ACCEPT_FIRST[mode], f"{mode}: Accept starts with {first!r}: {seen[-1]!r}"

        def values():
            got = {q: scalar(q) for q in EXPECT}
            bad = {q: (g, EXPECT[q]) for q, g in got.items() if g is None or not same(g, EXPECT[q])}
            return not bad, bad

        wait_for(f"{mode}: exact values", values)
        if mode != "text":
            for metric, want in exemplars_expected(base).items():
                def exemplars():
                    answered, data = api.exemplars(metric + '{job="e2e"}', base - 60, time.time() + 60)
                    if not answered:
                        return False, data
                    got = []
                    for series in data:
                        sl = {k: v for k, v in series["seriesLabels"].items()
                              if k not in ("__name__", "job", "instance")}
                        for e in series["exemplars"]:
                            got.append((sl, e["labels"], float(e["value"]), float(e["timestamp"])))
                    got.sort(key=repr)
                    w = sorted(want, key=repr)
                    return got == w, got

                wait_for(f"{mode}: exemplars of {metric}", exemplars)
        print(f"PASS {mode}: {len(EXPECT)} values" + ("" if mode == "text" else " and every exemplar")
              + f" (Accept: {seen[-1]})")
        ok = True
    finally:
        p.stop()
        srv.shutdown()
        srv.server_close()
        if not ok:
            p.dump(6000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gen", required=True)
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    a = ap.parse_args()
    if m := missing([a.prometheus]):
        print(m)
        return 1
    tmp = tempfile.mkdtemp(prefix="promc-om-e2e-")
    try:
        base = math.floor(time.time())
        subprocess.run([a.gen, tmp, str(base)], check=True)
        for mode in ("text", "openmetrics", "protobuf"):
            with open(os.path.join(tmp, FILES[mode]), "rb") as f:
                run(mode, a.prometheus, f.read(), base, tmp)
        return 0
    except (AssertionError, subprocess.CalledProcessError) as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
