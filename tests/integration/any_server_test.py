#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""examples/any_server scraped over loopback, the way Prometheus and curl do.

Starts `any_server` on a free 127.0.0.1 port (port 0, read back from
--port-file) and checks: the text format by default, with its Content-Type
and a body client_python's parser reads; ?name[]= filtering (exact body);
gzip (Content-Encoding, and the same bytes once gunzipped); OpenMetrics
(Content-Type, "# EOF", client_python's OpenMetrics parser); protobuf
(Content-Type, a length-delimited stream); HEAD (no body, same length);
404, 405 with Allow, 400 for a request with a body, 431 for a head over
8 KiB, keep-alive over one connection, HTTP/1.0 closing; `promtool check
metrics` on the text output; SIGTERM stops it with status 0.
Kills only what it started, by PID. A missing tool is a failure.
"""
import argparse
import gzip
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from promharness import split_delimited, wait_port_file  # noqa: E402
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families
from prometheus_client.parser import text_string_to_metric_families as text_families

TEXT_CT = "text/plain; version=0.0.4; charset=utf-8"
OM_CT = "application/openmetrics-text; version=1.0.0; charset=utf-8"
PB_CT = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
OM_ACCEPT = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
PB_ACCEPT = ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,"
             "text/plain;version=0.0.4;q=0.3")

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def read_response(sock_file, head_only=False):
    """Reads one HTTP/1.1 response with a Content-Length from a socket file."""
    status = sock_file.readline().decode("latin-1")
    if not status:
        return None
    code = int(status.split(" ", 2)[1])
    headers = {}
    while True:
        line = sock_file.readline().decode("latin-1")
        if line in ("\r\n", ""):
            break
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    body = b"" if head_only else sock_file.read(n)
    return code, headers, body


def request(port, target="/metrics", method="GET", headers=(), raw=None):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        if raw is None:
            raw = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n" % (
                method, target, "".join("%s: %s\r\n" % h for h in headers))
            raw = raw.encode()
        s.sendall(raw)
        return read_response(s.makefile("rb"), head_only=(method == "HEAD"))


def counter_body(n200, others=""):
    return ("# HELP any_server_http_requests_total Requests answered, by status code.\n"
            "# TYPE any_server_http_requests_total counter\n"
            'any_server_http_requests_total{code="200"} %d\n%s' % (n200, others))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    args = ap.parse_args()
    promtool = shutil.which("promtool")
    if not promtool:
        print("FAIL: promtool not installed (make test installs prometheus)")
        return 1
    d = tempfile.mkdtemp()
    port_file = os.path.join(d, "port")
    log = open(os.path.join(d, "log"), "w+")
    p = subprocess.Popen([args.server, "--listen", "127.0.0.1:0", "--port-file", port_file],
                         stdout=log, stderr=subprocess.STDOUT)
    try:
        port = wait_port_file(port_file, p)
        if port is None:
            log.seek(0)
            print("FAIL: any_server did not start:", log.read())
            return 1
        n200 = 0  # 200 answers so far (the counter is read before the answer it counts)

        # text by default: Content-Type, parseable, our counter and the process metrics
        code, h, body = request(port)
        n200 += 1
        check(code == 200 and h.get("content-type") == TEXT_CT, "plain scrape: %r %r" % (code, h))
        check("content-encoding" not in h, "no gzip unless asked")
        text = body.decode()
        fams = {f.name: f for f in text_families(text)}
        check("any_server_http_requests" in fams and "process_cpu_seconds" in fams,
              "text families: %s" % sorted(fams))
        lint = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True)
        check(lint.returncode == 0, "promtool check metrics: %d %s" % (lint.returncode, lint.stderr.decode()))
        print("promtool check metrics on any_server's text output: exit %d, %r" % (lint.returncode, lint.stderr))

        # name[] filter, exact body; both spellings of the key, and the path "/"
        code, h, body = request(port, "/metrics?name[]=any_server_http_requests_total")
        check(code == 200 and body.decode() == counter_body(n200), "name[] body:\n%s" % body.decode())
        n200 += 1
        code, h, body = request(port, "/?name%5B%5D=any_server_http_requests&name[]=nothing")
        check(code == 200 and body.decode() == counter_body(n200), "name%%5B%%5D on /:\n%s" % body.decode())
        n200 += 1

        # gzip: same bytes once gunzipped
        code, h, gz = request(port, "/metrics?name[]=any_server_http_requests_total",
                              headers=[("Accept-Encoding", "gzip, deflate")])
        check(code == 200 and h.get("content-encoding") == "gzip" and h.get("vary") == "Accept-Encoding",
              "gzip headers: %r" % h)
        check(gzip.decompress(gz).decode() == counter_body(n200), "gunzipped body")
        n200 += 1
        code, h, body = request(port, headers=[("Accept-Encoding", "gzip;q=0")])
        check(code == 200 and "content-encoding" not in h, "gzip;q=0 refuses gzip")
        n200 += 1
        code, h, gz = request(port, headers=[("Accept-Encoding", "gzip")])
        check(code == 200 and h.get("content-encoding") == "gzip", "full gzip scrape")
        check("process_cpu_seconds_total" in gzip.decompress(gz).decode(), "full gzip body")
        n200 += 1

        # OpenMetrics, as Prometheus asks for it
        code, h, body = request(port, "/metrics?name[]=any_server_http_requests_total",
                                headers=[("Accept", OM_ACCEPT)])
        om = body.decode()
        check(code == 200 and h.get("content-type") == OM_CT, "OpenMetrics type: %r" % h)
        check(om.endswith("# EOF\n"), "OpenMetrics ends with # EOF")
        fam = list(om_families(om))
        check(len(fam) == 1 and fam[0].name == "any_server_http_requests" and fam[0].type == "counter",
              "OpenMetrics family: %r" % fam)
        vals = {s.name: s.value for s in fam[0].samples if s.labels.get("code") == "200"}
        check(vals.get("any_server_http_requests_total") == n200, "OpenMetrics value: %r" % vals)
        n200 += 1
        code, h, body = request(port, headers=[("Accept", OM_ACCEPT)])
        check(code == 200 and {f.name for f in om_families(body.decode())} >= {"process_cpu_seconds"},
              "full OpenMetrics scrape parses")
        n200 += 1

        # protobuf: Content-Type and a delimited stream that adds up
        code, h, body = request(port, headers=[("Accept", PB_ACCEPT)])
        check(code == 200 and h.get("content-type") == PB_CT, "protobuf type: %r" % h)
        try:
            msgs, cut = len(split_delimited(body)), ""
        except ValueError as e:
            msgs, cut = 0, ", %s" % e
        check(not cut and msgs >= 5, "protobuf stream: %d messages in %d bytes%s" % (msgs, len(body), cut))
        n200 += 1

        # HEAD: same headers, no body
        code, h, body = request(port, "/metrics?name[]=any_server_http_requests_total", method="HEAD")
        check(code == 200 and body == b"" and int(h["content-length"]) == len(counter_body(n200)),
              "HEAD: %r %r" % (code, h))
        n200 += 1

        # errors
        code, h, _ = request(port, "/other")
        check(code == 404, "404 for /other: %r" % code)
        code, h, _ = request(port, method="POST")
        check(code == 405 and h.get("allow") == "GET, HEAD", "405 with Allow: %r %r" % (code, h))
        code, h, _ = request(port, raw=b"GET /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        check(code == 400, "400 for a body: %r" % code)
        code, h, _ = request(port, raw=b"GARBAGE\r\n\r\n")
        check(code == 400, "400 for a bad request line: %r" % code)
        code, h, _ = request(port, raw=b"GET /metrics HTTP/1.1\r\nX-Big: " + b"x" * 9000 + b"\r\n\r\n")
        check(code == 431, "431 for a 9 KB head: %r" % code)

        # keep-alive: two requests on one connection (pipelined), then HTTP/1.0 closes
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            one = b"GET /metrics?name[]=any_server_http_requests_total HTTP/1.1\r\nHost: x\r\n\r\n"
            s.sendall(one + one)
            f = s.makefile("rb")
            r1, r2 = read_response(f), read_response(f)
            check(r1 and r2 and r1[0] == 200 and r2[0] == 200, "two answers on one connection")
            s.sendall(b"GET /metrics?name[]=nothing HTTP/1.0\r\n\r\n")
            r3 = read_response(f)
            check(r3 and r3[0] == 200 and r3[2] == b"" and r3[1].get("connection") == "close",
                  "HTTP/1.0 answer: %r" % (r3,))
            check(f.read() == b"", "the connection closes after an HTTP/1.0 request")
        n200 += 3
        code, h, body = request(port, "/metrics?name[]=any_server_http_requests_total")
        want = counter_body(n200, 'any_server_http_requests_total{code="404"} 1\n'
                                  'any_server_http_requests_total{code="405"} 1\n'
                                  'any_server_http_requests_total{code="400"} 2\n'
                                  'any_server_http_requests_total{code="431"} 1\n')
        check(body.decode() == want, "final counts:\n%s\nwanted\n%s" % (body.decode(), want))

        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=10)
        check(rc == 0, "SIGTERM: exit status %r" % rc)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        shutil.rmtree(d, ignore_errors=True)
    print("any_server: %s" % ("FAILED: %d checks" % len(failures) if failures else "all checks passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
