#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""examples/embed_mhd (the request middleware on a real libmicrohttpd app),
driven over raw loopback sockets so that every byte sent is known.

Checks, on its own /metrics: http_requests_total exact per method and code
(get/post/unknown; 200, 404, 405, 500), the duration of known sleeps in the
right bucket (and every quick request at or under 0.1 s), request sizes exact
(request line + header + CRLFs + body, as sent), response sizes exact (the
bodies received), requests in flight exact while 5 requests sleep at once
(5 + the scrape itself) and after (1), keep-alive requests counted each;
then a real Prometheus scrapes it and reads the same 404 count and sleep
buckets; SIGTERM ends it with 0.  Kills only what it started, by PID; a
missing tool is a failure.
"""
import argparse
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from promharness import (PROMETHEUS, PromAPI, Proc, free_port, missing, scrape_config,  # noqa: E402
                         start_prometheus, wait_for)
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def read_response(f):
    """(status, body) of one HTTP/1.1 response with a Content-Length."""
    line = f.readline().decode("latin-1")
    if not line:
        raise OSError("connection closed before a response")
    status = int(line.split(" ", 2)[1])
    n = 0
    while True:
        h = f.readline().decode("latin-1")
        if h in ("\r\n", ""):
            break
        k, v = h.split(":", 1)
        if k.strip().lower() == "content-length":
            n = int(v.strip())
    return status, f.read(n)


class Conn:
    """One keep-alive connection; each call sends a request and returns
    (status, body, bytes sent)."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.f = self.s.makefile("rb")

    def send(self, method, path, body=b""):
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: embed-test\r\n"
        if body or method == "POST":
            head += f"Content-Length: {len(body)}\r\n"
        raw = head.encode() + b"\r\n" + body
        self.s.sendall(raw)
        return raw

    def req(self, method, path, body=b""):
        raw = self.send(method, path, body)
        st, b = read_response(self.f)
        return st, b, len(raw)

    def close(self):
        self.f.close()
        self.s.close()


def scrape(port):
    c = Conn(port)
    st, body, _ = c.req("GET", "/metrics")
    c.close()
    if st != 200:
        raise ValueError(f"/metrics: HTTP {st}")
    out = {}
    for fam in text_string_to_metric_families(body.decode()):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def val(m, name, **labels):
    return m.get((name, tuple(sorted(labels.items()))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--prometheus", default=PROMETHEUS)
    a = ap.parse_args()
    err = missing([a.app]) or missing([a.prometheus])
    if err:
        print(err)
        return 1
    tmp = tempfile.mkdtemp(prefix="embed_mhd_")
    app = Proc("embed_mhd", [a.app, "--listen", "127.0.0.1:0"], tmp)
    prom = None
    try:
        def port_line():
            with open(app.log_path) as f:
                t = f.read()
            if app.poll() is not None:
                raise AssertionError(f"embed_mhd exited: {t}")
            return "listening on" in t and t.endswith("\n"), t
        port = int(wait_for("embed_mhd's listening line", port_line, 10).split(":")[-1])

        # Exact expectations, built from what is sent and received.
        count, reqsz, respsz = {}, {}, {}

        def note(method, code, sent, body):
            k = (method, str(code))
            count[k] = count.get(k, 0) + 1
            reqsz[k] = reqsz.get(k, 0) + sent
            respsz[k] = respsz.get(k, 0) + len(body)

        c = Conn(port)  # keep-alive: all of these on one connection
        for path, code in [("/sleep?ms=0", 200), ("/nope", 404), ("/nope/two", 404), ("/fail", 500),
                           ("/sleep?ms=0", 200), ("/sleep?ms=x", 400)]:
            st, body, sent = c.req("GET", path)
            check(st == code, f"GET {path} answers {code} (got {st})")
            note("get", code, sent, body)
        payload = b"z" * 1000
        st, body, sent = c.req("POST", "/upload", payload)
        check(st == 200 and body == b"got 1000 bytes\n", f"POST /upload reads its 1000-byte body ({st} {body!r})")
        note("post", 200, sent, body)
        st, body, sent = c.req("POST", "/sleep")
        check(st == 405, f"POST /sleep is 405 ({st})")
        note("post", 405, sent, body)
        st, body, sent = c.req("BREW", "/pot")
        check(st == 404, f"BREW /pot is 404 ({st})")
        note("unknown", 404, sent, body)
        st, body, sent = c.req("get", "/nope")
        check(st == 404, f"lowercase get /nope is 404 ({st})")
        note("get", 404, sent, body)
        c.close()

        # Known sleeps: two of 120 ms (0.1 < d <= 0.25) and one of 600 ms (0.5 < d <= 1).
        slow = []
        for ms in (120, 120, 600):
            c = Conn(port)
            st, body, sent = c.req("GET", f"/sleep?ms={ms}")
            c.close()
            check(st == 200, f"/sleep?ms={ms} is 200")
            slow.append((sent, body))

        # libmicrohttpd reports a request complete only after its last byte
        # went out, so the client may read its answer a moment before the
        # middleware records it: scrape until what is expected is there (or
        # the bound passes), then check everything on that scrape.
        done = [0]  # scrapes completed so far: each counts as get/200 once recorded

        def settled(what, ok, timeout=5.0):
            """The first scrape m for which ok(m, scrapes before it) holds,
            within timeout s; else the last one, with a failure noted."""
            end = time.monotonic() + timeout
            while True:
                before = done[0]
                m = scrape(port)
                done[0] += 1
                if ok(m, before):
                    return m, before
                if time.monotonic() > end:
                    check(False, f"{what}, within {timeout} s")
                    return m, before
                time.sleep(0.1)

        get200 = count[("get", "200")] + len(slow)
        g200 = lambda m: val(m, "http_requests_total", method="get", code="200")  # noqa: E731
        m, before = settled("every request so far recorded",
                            lambda m, n: g200(m) == get200 + n and val(m, "http_requests_in_flight") == 1)
        check(g200(m) == get200 + before, f"get/200 counted {get200} + {before} scrapes (got {g200(m)})")
        for (meth, code), n in count.items():
            if (meth, code) == ("get", "200"):
                continue
            got = val(m, "http_requests_total", method=meth, code=code)
            check(got == n, f"http_requests_total{{method={meth},code={code}}} == {n} (got {got})")
            got = val(m, "http_request_size_bytes_sum", method=meth, code=code)
            check(got == reqsz[(meth, code)], f"request bytes {meth}/{code} == {reqsz[(meth, code)]} (got {got})")
            got = val(m, "http_response_size_bytes_sum", method=meth, code=code)
            check(got == respsz[(meth, code)], f"response bytes {meth}/{code} == {respsz[(meth, code)]} (got {got})")
        scrape_len = len(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: embed-test\r\n\r\n")
        want_req = reqsz[("get", "200")] + sum(n for n, _ in slow) + before * scrape_len
        check(val(m, "http_request_size_bytes_sum", method="get", code="200") == want_req,
              f"request bytes get/200 == {want_req}, the {before} scrapes included")
        # scrapes are sized 0: promc_http_handle queues its own response, whose size MHD does not tell
        want_resp = respsz[("get", "200")] + sum(len(b) for _, b in slow)
        check(val(m, "http_response_size_bytes_sum", method="get", code="200") == want_resp,
              f"response bytes get/200 == {want_resp}")
        check(val(m, "http_response_size_bytes_count", method="get", code="200") == get200,
              f"response sizes observed for the {get200} app requests only")
        bucket = lambda le: val(m, "http_request_duration_seconds_bucket", method="get", code="200", le=le)  # noqa: E731
        fast = count[("get", "200")] + before  # 0 ms sleeps and scrapes
        check(bucket("0.1") == fast, f"the 0 ms sleeps and scrapes, and no 120 ms sleep, at or under 0.1 s ({bucket('0.1')} of {fast})")
        check(bucket("0.25") == fast + 2, f"both 120 ms sleeps in (0.1, 0.25] ({bucket('0.25')})")
        check(bucket("0.5") == fast + 2, f"the 600 ms sleep above 0.5 s ({bucket('0.5')})")
        check(bucket("1") == fast + 3, f"the 600 ms sleep in (0.5, 1] ({bucket('1')})")
        check(val(m, "http_requests_in_flight") == 1, f"in flight 1 (the scrape) when idle ({val(m, 'http_requests_in_flight')})")

        # Five requests held open at once (1.5 s each), then scrapes.
        held = [Conn(port) for _ in range(5)]
        for h in held:
            h.send("GET", "/sleep?ms=1500")
        time.sleep(0.4)
        m, _ = settled("5 held requests + the scrape in flight",
                       lambda m, n: val(m, "http_requests_in_flight") == 6, timeout=0.8)
        check(val(m, "http_requests_in_flight") == 6, f"in flight 6 with 5 held ({val(m, 'http_requests_in_flight')})")
        for h in held:
            st, _ = read_response(h.f)
            check(st == 200, "held request answered 200")
            h.close()
        get200 += 5
        b25 = lambda m: val(m, "http_request_duration_seconds_bucket", method="get", code="200", le="2.5")  # noqa: E731
        b1 = lambda m: val(m, "http_request_duration_seconds_bucket", method="get", code="200", le="1")  # noqa: E731
        m, before = settled("the held requests recorded",
                            lambda m, n: val(m, "http_requests_in_flight") == 1 and g200(m) == get200 + n)
        check(val(m, "http_requests_in_flight") == 1, f"in flight back to 1 ({val(m, 'http_requests_in_flight')})")
        check(g200(m) == get200 + before, f"get/200 now {get200} + {before} scrapes ({g200(m)})")
        check(b25(m) - b1(m) == 5, f"the five 1.5 s sleeps in (1, 2.5] ({b25(m) - b1(m)})")

        # A real Prometheus scrapes it.
        pport = free_port()
        prom = start_prometheus(tmp, scrape_config({"embed": [f"127.0.0.1:{port}"]}), pport,
                                binary=a.prometheus)
        api = PromAPI(pport)
        n404 = count[("get", "404")]
        q404 = 'http_requests_total{job="embed",method="get",code="404"}'
        got = wait_for(f"Prometheus reads {q404} == {n404}", lambda: ((v := api.scalar(q404)) == n404, v), 40)
        check(got == n404, f"Prometheus: {q404} == {n404}")
        # le as the scraped format writes it: "1" in text, "1.0" in OpenMetrics
        b = 'http_request_duration_seconds_bucket{job="embed",method="get",code="200",le=~"%s"}'
        for lo, hi, want in (("0.1", "0.25", 2), ("1|1.0", "2.5", 5)):
            qb = f"{b % hi} - ignoring(le) {b % lo}"
            got = wait_for(f"Prometheus reads {qb} == {want}", lambda: ((v := api.scalar(qb)) == want, v), 20)
            check(got == want, f"Prometheus: {qb} == {want}")
        qu = 'sum(http_requests_total{job="embed",method="unknown"})'
        got = wait_for(f"Prometheus reads {qu} == 1", lambda: ((v := api.scalar(qu)) == 1, v), 20)
        check(got == 1, f"Prometheus: {qu} == 1")
    except AssertionError as e:
        check(False, str(e))
    finally:
        if prom:
            prom.stop()
        rc = app.stop()
        check(rc == 0, f"SIGTERM ends embed_mhd with 0 (got {rc})")
    if failures:
        app.dump()
        if prom:
            prom.dump(4000)
        print(f"{len(failures)} failure(s)")
        return 1
    print("embed_mhd middleware: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
