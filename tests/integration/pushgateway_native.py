#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""What Debian's Pushgateway keeps of a native histogram pushed in protobuf
(the statement in docs/push.md, checked against the installed gateway).

Builds a delimited io.prometheus.client.MetricFamily with a native histogram
(schema, zero bucket, positive and negative spans and deltas) with
`protoc --encode`, PUTs it as promc_push does with .format =
PROMC_FORMAT_PROTOBUF, and reads it back three ways:
  - /metrics in protobuf (what a Prometheus with --enable-feature=
    native-histograms scrapes): every native field must come back unchanged
  - /metrics in text: only _count, _sum and the +Inf bucket
  - /api/v1/metrics: count and sum, no buckets
Starts prometheus-pushgateway on a free 127.0.0.1 port (in memory); stops it
by PID.  Exit status 0 = pass.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from promharness import free_port, request, split_delimited, terminate, wait_for  # noqa: E402

GATEWAY = "/usr/bin/prometheus-pushgateway"
METRICS_PROTO = "/usr/share/gocode/src/github.com/prometheus/client_model/io/prometheus/client/metrics.proto"
TIMESTAMP_PROTO = "/usr/share/gocode/src/github.com/golang/protobuf/ptypes/timestamp/timestamp.proto"
PB = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"

NATIVE = """name: "nh_seconds"
help: "A native histogram."
type: HISTOGRAM
metric {
  histogram {
    sample_count: 5
    sample_sum: 12.5
    schema: 3
    zero_threshold: 1e-128
    zero_count: 1
    negative_span { offset: 1 length: 1 }
    negative_delta: 2
    positive_span { offset: 0 length: 2 }
    positive_delta: 2
    positive_delta: 0
  }
}
"""
NATIVE_FIELDS = ["schema: 3", "zero_threshold: 1e-128", "zero_count: 1", "negative_span {", "offset: 1",
                 "negative_delta: 2", "positive_span {", "offset: 0", "length: 2", "positive_delta: 2",
                 "positive_delta: 0", "sample_count: 5", "sample_sum: 12.5"]


def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | 0x80 if n else b])
        if not n:
            return out


def main():
    for f in (GATEWAY, METRICS_PROTO, TIMESTAMP_PROTO, shutil.which("protoc") or "/usr/bin/protoc"):
        if not os.path.exists(f):
            print(f"FAIL: {f} missing (prometheus-pushgateway, protobuf-compiler, "
                  "golang-github-prometheus-client-model-dev; scripts/deps.sh test)")
            return 1
    inc = tempfile.mkdtemp(prefix="promc-nh-")
    os.makedirs(os.path.join(inc, "google", "protobuf"))
    shutil.copy(TIMESTAMP_PROTO, os.path.join(inc, "google", "protobuf", "timestamp.proto"))
    shutil.copy(METRICS_PROTO, os.path.join(inc, "metrics.proto"))

    def protoc(mode, data):
        r = subprocess.run(["protoc", f"--{mode}=io.prometheus.client.MetricFamily", "-I" + inc, "metrics.proto"],
                           input=data, capture_output=True, check=True)
        return r.stdout

    port = free_port()
    gw = subprocess.Popen([GATEWAY, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    errors = []
    try:
        try:
            wait_for("the Pushgateway's /-/ready", lambda: (request("GET", base + "/-/ready")[0] == 200, None), 10,
                     interval=0.1)
        except AssertionError as e:
            print(f"FAIL: {e}")
            return 1
        msg = protoc("encode", NATIVE.encode())
        st, body = request("PUT", base + "/metrics/job/nh", varint(len(msg)) + msg, {"Content-Type": PB})
        if st != 200:
            print(f"FAIL: PUT answered {st}: {body[:300]!r}")
            return 1
        st, data = request("GET", base + "/metrics", headers={"Accept": PB})
        fam = [m for m in split_delimited(data) if b"nh_seconds" in m]
        text = protoc("decode", fam[0]).decode() if fam else ""
        for f in NATIVE_FIELDS:
            if f not in text:
                errors.append(f"protobuf /metrics lost {f!r}:\n{text}")
        st, data = request("GET", base + "/metrics")
        lines = sorted(l for l in data.decode().splitlines() if l.startswith("nh_seconds"))
        want = ['nh_seconds_bucket{instance="",job="nh",le="+Inf"} 5', 'nh_seconds_count{instance="",job="nh"} 5',
                'nh_seconds_sum{instance="",job="nh"} 12.5']
        if lines != want:
            errors.append(f"text /metrics: {lines}, expected {want}")
        st, data = request("GET", base + "/api/v1/metrics")
        groups = [g for g in json.loads(data)["data"] if g["labels"].get("job") == "nh"]
        m = groups[0]["nh_seconds"]["metrics"][0] if groups else {}
        if (m.get("count"), m.get("sum"), m.get("buckets")) != ("5", "12.5", {}):
            errors.append(f"/api/v1/metrics: {m}")
    finally:
        terminate(gw, 5)
        shutil.rmtree(inc, ignore_errors=True)
    for e in errors:
        print("MISMATCH:", e)
    if not errors:
        print("Pushgateway keeps the native histogram whole for protobuf scrapes; text and "
              "/api/v1/metrics show only count, sum (and the +Inf bucket in text)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
