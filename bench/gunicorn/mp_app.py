# SPDX-License-Identifier: Apache-2.0
"""WSGI app for bench_mp_gunicorn.py: the bench_mp families under gunicorn,
client_python multiprocess mode. /work writes every series once; /metrics is
the usual MultiProcessCollector scrape."""
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary, generate_latest
from prometheus_client import multiprocess

req = Counter("req", "Requests.", ["path", "code"])
lat = Histogram("latency_seconds", "Latency.", ["path"])
size = Summary("size_bytes", "Sizes.", ["path"])
inflight = Gauge("inflight", "In flight.", ["path"], multiprocess_mode="livesum")


def write_all():
    for i in range(100):
        req.labels("/path/%d" % (i % 20), str(200 + i // 20)).inc()
    for i in range(20):
        p = "/path/%d" % i
        lat.labels(p).observe(0.25)
        size.labels(p).observe(0.25)
        inflight.labels(p).inc()


def app(environ, start_response):
    if environ["PATH_INFO"] == "/metrics":
        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
        body = generate_latest(reg)
    else:
        write_all()
        body = b"ok\n"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
