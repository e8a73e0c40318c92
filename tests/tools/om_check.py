# SPDX-License-Identifier: Apache-2.0
"""Checks the mixed registry of tests/test_om.c, rendered by promc, against
what the test put into it.

  om_check.py om FILE T0 T1
      FILE is OpenMetrics text; it must be read back exactly by client_python's
      prometheus_client.openmetrics.parser (every family, sample, label value,
      value and exemplar; NaN compared as NaN; _created within [T0, T1]).
  om_check.py pb FILE METRICS_PROTO TIMESTAMP_PROTO
      FILE is delimited protobuf; the stream is split here, each message is
      decoded by `protoc --decode=io.prometheus.client.MetricFamily` with the
      given metrics.proto, and every field is compared.

Exit status 0 when everything matches; otherwise the differences are printed
and the status is 1. A missing tool or module is an error, never a skip.
"""
import math
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from promharness import same, split_delimited  # noqa: E402

INF = float("inf")
NAN = float("nan")
JP = "\u65e5" * 120  # 120 characters + "trace_id" = 128, the OpenMetrics limit
ENV = 'prod "x"'

# The registry, format-neutral. Exemplar: (labels, value, timestamp or None).
FAMILIES = [
    dict(name="requests", type="counter", unit="",
         help='Requests served.\nWith a \\ backslash and "quotes".',
         children=[
             dict(labels=dict(env=ENV, method="GET", path='/a"b\\c\nd'), value=6,
                  exemplar=(dict(trace_id="abc123"), 1, None)),
             dict(labels=dict(env=ENV, method="POST", path="/\u00fcn\u00ef/\u65e5\u672c"), value=2.5,
                  exemplar=(dict(trace_id='t"2\\', span_id="\u00e9"), 2.5, 1620000000.5)),
             dict(labels=dict(env=ENV, method="PUT", path=""), value=0, exemplar=None),
             dict(labels=dict(env=ENV, method="DELETE", path="x"), value=1e21, exemplar=None),
         ]),
    dict(name="temperature_celsius", type="gauge", unit="celsius", help="Temperatures.",
         children=[dict(labels=dict(where=w), value=v) for w, v in
                   [("a", 0.0), ("b", -0.0), ("c", 1e-9), ("d", 1e21), ("e", 0.1),
                    ("f", NAN), ("g", INF), ("h", -INF), ("i", -12345.678)]]),
    dict(name="latency_seconds", type="histogram", unit="seconds", help="Latency.",
         bounds=[0.005, 0.1, 1.0, 2.5, 1e6],
         le=["0.005", "0.1", "1.0", "2.5", "1e+06", "+Inf"],
         children=[
             dict(labels=dict(route="/x"), buckets=[0, 2, 2, 3, 3, 4], sum=0.05 + 0.1 + 2 + 1e9,
                  exemplars={1: (dict(trace_id="h1"), 0.05, 1620000001.25),
                             5: (dict(trace_id=JP), 1e9, None)}),
             dict(labels=dict(route="/y"), buckets=[0, 0, 0, 0, 0, 0], sum=0.0, exemplars={}),
         ]),
    dict(name="payload_bytes", type="summary", unit="bytes", help="Payload sizes.",
         children=[dict(labels={}, count=2, sum=30.5)]),
    dict(name="build", type="info", unit="", help="Build information.",
         children=[dict(labels=dict(version="1.2.3", commit='ab"c\\'))]),
    dict(name="state", type="stateset", unit="", help="Service state.",
         states=["starting", "running", 'stopped "x"'],
         children=[dict(labels=dict(svc="api"), state=1)]),
    dict(name="ticks", type="counter", unit="", help="", children=[dict(labels={}, value=3, exemplar=None)]),
    dict(name="legacy_metric", type="unknown", unit="", help="From a collector.",
         children=[dict(labels=dict(a="b"), value=42)]),
    dict(name="queue_size", type="gaugehistogram", unit="", help="Queue sizes.",
         bounds=[1.0, 10.0], le=["1.0", "10.0", "+Inf"],
         children=[dict(labels={}, buckets=[2, 5, 7], sum=30.0)]),
]

errors = []


def check(what, got, want):
    if not same(got, want):
        errors.append(f"{what}: got {got!r}, want {want!r}")


# ------------------------------------------------------------------ OpenMetrics
CREATED = object()


def om_expected(fam):
    n, out = fam["name"], []
    for c in fam["children"]:
        lab = c["labels"]
        t = fam["type"]
        if t == "counter":
            out.append((n + "_total", lab, c["value"], c["exemplar"]))
            out.append((n + "_created", lab, CREATED, None))
        elif t in ("gauge", "unknown"):
            out.append((n, lab, c["value"], None))
        elif t in ("histogram", "gaugehistogram"):
            for i, le in enumerate(fam["le"]):
                out.append((n + "_bucket", dict(lab, le=le), c["buckets"][i], c.get("exemplars", {}).get(i)))
            g = "g" if t == "gaugehistogram" else ""
            out.append((n + "_" + g + "count", lab, c["buckets"][-1], None))
            out.append((n + "_" + g + "sum", lab, c["sum"], None))
            if t == "histogram":
                out.append((n + "_created", lab, CREATED, None))
        elif t == "summary":
            out.append((n + "_count", lab, c["count"], None))
            out.append((n + "_sum", lab, c["sum"], None))
            out.append((n + "_created", lab, CREATED, None))
        elif t == "info":
            out.append((n + "_info", lab, 1, None))
        elif t == "stateset":
            for i, st in enumerate(fam["states"]):
                out.append((n, dict(lab, **{n: st}), 1 if i == c["state"] else 0, None))
    return out


def check_om(path, t0, t1):
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
    with open(path, encoding="utf-8") as f:
        text = f.read()
    got = list(text_string_to_metric_families(text))
    check("family count", len(got), len(FAMILIES))
    for fam, g in zip(FAMILIES, got):
        n = fam["name"]
        check(f"{n}: name", g.name, n)
        check(f"{n}: type", g.type, fam["type"])
        check(f"{n}: help", g.documentation, fam["help"])
        check(f"{n}: unit", g.unit, fam["unit"])
        want = om_expected(fam)
        check(f"{n}: sample count", len(g.samples), len(want))
        for i, (s, (wn, wl, wv, wx)) in enumerate(zip(g.samples, want)):
            w = f"{n}: sample {i} ({wn})"
            check(w + " name", s.name, wn)
            check(w + " labels", s.labels, wl)
            if wv is CREATED:
                if not (t0 <= s.value <= t1):
                    errors.append(f"{w}: _created {s.value!r} outside [{t0}, {t1}]")
            elif isinstance(s.value, int):
                # the parser reads "-0" as the integer 0 (the C test checks
                # the "-0" text itself); compare without the zero's sign
                check(w + " value", float(s.value), float(wv) + 0.0)
            else:
                check(w + " value", float(s.value), float(wv))
            check(w + " timestamp", s.timestamp, None)
            if wx is None:
                check(w + " exemplar", s.exemplar, None)
            elif s.exemplar is None:
                errors.append(f"{w}: exemplar missing, want {wx!r}")
            else:
                check(w + " exemplar labels", s.exemplar.labels, wx[0])
                check(w + " exemplar value", float(s.exemplar.value), float(wx[1]))
                ts = s.exemplar.timestamp
                check(w + " exemplar timestamp", None if ts is None else float(ts), wx[2])
    if not text.endswith("# EOF\n"):
        errors.append("OpenMetrics output does not end with '# EOF\\n'")


# --------------------------------------------------------------------- protobuf
def unquote(s):
    """A protoc text-format string literal (C escapes, octal bytes) to str."""
    assert s[0] == '"' and s[-1] == '"', s
    s, out, i = s[1:-1], bytearray(), 0
    simple = {"n": 10, "t": 9, "r": 13, '"': 34, "'": 39, "\\": 92, "a": 7, "b": 8, "f": 12, "v": 11}
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = s[i + 1]
        if e in simple:
            out.append(simple[e])
            i += 2
        elif e in "01234567":
            j = i + 1
            while j < len(s) and j < i + 4 and s[j] in "01234567":
                j += 1
            out.append(int(s[i + 1:j], 8))
            i = j
        elif e == "x":
            j = i + 2
            while j < len(s) and j < i + 4 and s[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(s[i + 2:j], 16))
            i = j
        else:
            raise ValueError("unknown escape in " + s)
    return out.decode("utf-8")


def scalar(v):
    if v.startswith('"'):
        return unquote(v)
    low = v.lower()
    if low in ("inf", "infinity"):
        return INF
    if low in ("-inf", "-infinity"):
        return -INF
    if low in ("nan", "-nan"):
        return NAN
    try:
        i = int(v)
        return -0.0 if i == 0 and v.startswith("-") else i  # protoc prints -0.0 as "-0"
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v  # an enum name


def parse_text(text):
    """protoc's text output to nested dicts of lists."""
    root, stack = {}, []
    cur = root
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line == "}":
            cur = stack.pop()
        elif line.endswith("{"):
            child = {}
            cur.setdefault(line[:-1].strip(), []).append(child)
            stack.append(cur)
            cur = child
        else:
            k, v = line.split(":", 1)
            cur.setdefault(k.strip(), []).append(scalar(v.strip()))
    return root


def one(d, k, default=None):
    v = d.get(k)
    if v is None:
        return default
    if len(v) != 1:
        errors.append(f"field {k} repeated {len(v)} times")
    return v[0]


def pb_labels(msg):
    return sorted((one(p, "name"), one(p, "value", "")) for p in msg.get("label", []))


def pb_exemplar(w, msg, want):
    ex = msg.get("exemplar")
    if want is None:
        check(w + " exemplar", ex, None)
        return
    if not ex:
        errors.append(f"{w}: exemplar missing, want {want!r}")
        return
    ex = ex[0]
    check(w + " exemplar labels", pb_labels(ex), sorted(want[0].items()))
    check(w + " exemplar value", float(one(ex, "value", 0.0)), float(want[1]))
    ts = one(ex, "timestamp")
    if want[2] is None:
        check(w + " exemplar timestamp", ts, None)
    else:
        sec = math.floor(want[2])
        check(w + " exemplar timestamp", (one(ts or {}, "seconds", 0), one(ts or {}, "nanos", 0)),
              (sec, round((want[2] - sec) * 1e9)))


PB_TYPE = dict(counter="COUNTER", gauge="GAUGE", histogram="HISTOGRAM", summary="SUMMARY", info="GAUGE",
               stateset="GAUGE", unknown="UNTYPED", gaugehistogram="GAUGE_HISTOGRAM")
PB_SUFFIX = dict(counter="_total", info="_info")


def check_pb_family(fam, mf):
    t, n = fam["type"], fam["name"]
    w = n
    check(f"{w}: name", one(mf, "name"), n + PB_SUFFIX.get(t, ""))
    check(f"{w}: help", one(mf, "help", ""), fam["help"])
    check(f"{w}: type", one(mf, "type", "COUNTER"), PB_TYPE[t])
    metrics = mf.get("metric", [])
    if t == "stateset":
        want_n = len(fam["states"]) * len(fam["children"])
    else:
        want_n = len(fam["children"])
    check(f"{w}: metric count", len(metrics), want_n)
    mi = 0
    for c in fam["children"]:
        lab = sorted(c["labels"].items())
        if t == "stateset":
            for i, st in enumerate(fam["states"]):
                m = metrics[mi] if mi < len(metrics) else {}
                mi += 1
                check(f"{w}[{st}] labels", pb_labels(m), sorted(dict(c["labels"], **{n: st}).items()))
                check(f"{w}[{st}] value", one(one(m, "gauge", {}), "value", 0.0), 1.0 if i == c["state"] else 0.0)
            continue
        m = metrics[mi] if mi < len(metrics) else {}
        mi += 1
        mw = f"{w}{c['labels']}"
        check(mw + " labels", pb_labels(m), lab)
        kinds = sorted(k for k in m if k != "label")
        if t == "counter":
            check(mw + " fields", kinds, ["counter"])
            ctr = one(m, "counter", {})
            check(mw + " value", float(one(ctr, "value", 0.0)), float(c["value"]))
            pb_exemplar(mw, ctr, c["exemplar"])
        elif t in ("gauge", "info"):
            check(mw + " fields", kinds, ["gauge"])
            check(mw + " value", float(one(one(m, "gauge", {}), "value", 0.0)), float(c.get("value", 1)))
        elif t == "unknown":
            check(mw + " fields", kinds, ["untyped"])
            check(mw + " value", float(one(one(m, "untyped", {}), "value", 0.0)), float(c["value"]))
        elif t == "summary":
            check(mw + " fields", kinds, ["summary"])
            s = one(m, "summary", {})
            check(mw + " sample_count", one(s, "sample_count", 0), c["count"])
            check(mw + " sample_sum", float(one(s, "sample_sum", 0.0)), float(c["sum"]))
            check(mw + " quantiles", s.get("quantile"), None)
        elif t in ("histogram", "gaugehistogram"):
            check(mw + " fields", kinds, ["histogram"])
            h = one(m, "histogram", {})
            check(mw + " sample_count", one(h, "sample_count", 0), c["buckets"][-1])
            check(mw + " sample_sum", float(one(h, "sample_sum", 0.0)), float(c["sum"]))
            bks = h.get("bucket", [])
            check(mw + " bucket count", len(bks), len(fam["bounds"]) + 1)
            for i, b in enumerate(bks):
                ub = fam["bounds"][i] if i < len(fam["bounds"]) else INF
                bw = f"{mw} bucket {i}"
                check(bw + " cumulative_count", one(b, "cumulative_count", 0), c["buckets"][i])
                check(bw + " upper_bound", float(one(b, "upper_bound", 0.0)), float(ub))
                pb_exemplar(bw, b, c.get("exemplars", {}).get(i))
            other = sorted(k for k in h if k not in ("sample_count", "sample_sum", "bucket"))
            check(mw + " other histogram fields", other, [])


def check_pb(path, metrics_proto, timestamp_proto):
    protoc = shutil.which("protoc")
    if not protoc:
        raise SystemExit("protoc not found (Debian package protobuf-compiler)")
    for p in (metrics_proto, timestamp_proto):
        if not os.path.isfile(p):
            raise SystemExit(f"{p} not found (Debian golang-github-prometheus-client-model-dev)")
    with tempfile.TemporaryDirectory() as inc:
        os.makedirs(os.path.join(inc, "google", "protobuf"))
        shutil.copy(timestamp_proto, os.path.join(inc, "google", "protobuf", "timestamp.proto"))
        shutil.copy(metrics_proto, os.path.join(inc, "metrics.proto"))
        with open(path, "rb") as f:
            try:
                msgs = split_delimited(f.read())
            except ValueError as e:
                raise SystemExit(str(e))
        check("message count", len(msgs), len(FAMILIES))
        for fam, msg in zip(FAMILIES, msgs):
            r = subprocess.run([protoc, "--decode=io.prometheus.client.MetricFamily", "-I" + inc, "metrics.proto"],
                               input=msg, capture_output=True, check=False)
            if r.returncode != 0:
                errors.append(f"{fam['name']}: protoc failed: {r.stderr.decode(errors='replace')}")
                continue
            text = r.stdout.decode("utf-8")
            # numbered fields are ones metrics.proto does not define
            for line in text.splitlines():
                if line.strip()[:1].isdigit():
                    errors.append(f"{fam['name']}: field unknown to metrics.proto: {line.strip()}")
            check_pb_family(fam, parse_text(text))


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    if sys.argv[1] == "om":
        check_om(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    elif sys.argv[1] == "pb":
        check_pb(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(__doc__)
    for e in errors:
        print("MISMATCH:", e)
    print(f"{sys.argv[1]}: {len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
