#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""examples/app on its own (hermetic, loopback): answers, metrics, sleep, signals.

Starts `app` on free 127.0.0.1 ports, sends GET/POST/error requests, reads
the exposition straight from the metrics port and checks exact samples,
that --sleep-ms really sleeps (and is timed into the summaries), that a bad
command line exits 2, and that SIGINT and SIGTERM stop it with status 0.
Stdlib only; kills only what it started, by PID.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import promharness  # noqa: E402
from promharness import free_port, samples, terminate, wait_for  # noqa: E402


def http(method, url, body=None):
    return promharness.http(method, url, body, timeout=10)


def start(app, sleep, log):
    ap, mp = free_port(), free_port()
    p = subprocess.Popen([app, "--listen", f"127.0.0.1:{ap}", "--metrics-listen", f"127.0.0.1:{mp}",
                          "--sleep-ms", sleep], stdout=log, stderr=subprocess.STDOUT)
    metrics = f"http://127.0.0.1:{mp}/metrics"
    try:
        wait_for("the app's metrics port", lambda: (http("GET", metrics)[0] == 200, None), 10, interval=0.05)
    except AssertionError:
        p.kill()
        p.wait()
        raise AssertionError("app did not come up within 10 s")
    return p, f"http://127.0.0.1:{ap}", metrics


def stop(p, sig):
    if not terminate(p, 10, sig):
        raise AssertionError(f"app did not exit within 10 s of signal {sig}")
    return p.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    app = ap.parse_args().app
    log = tempfile.TemporaryFile()
    try:
        # a bad command line is refused
        for bad in (["--sleep-ms", "5-1"], ["--listen", "nohostport"], ["--bogus", "1"], ["--listen"]):
            rc = subprocess.run([app] + bad, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10).returncode
            assert rc == 2, (bad, rc)

        p, base, metrics = start(app, "0-0", log)
        assert http("GET", base + "/hoge?q=1") == (200, "Hello World!! from /hoge?q=1 as GET")
        assert http("POST", base + "/fuga", b"body") == (200, "Hello World!! from /fuga as POST")
        assert http("POST", base + "/fuga", b"") == (200, "Hello World!! from /fuga as POST")
        assert http("GET", base + "/hoge/error")[0] == 500
        assert http("POST", base + "/a/b/error", b"x")[0] == 500
        assert http("PUT", base + "/x", b"x")[0] == 501  # the seed's server has no do_PUT either
        st, text = http("GET", metrics)
        assert st == 200
        for help_line in ("# HELP http_get_requests_total HTTP GET Request Counter",
                          "# HELP http_post_requests_total HTTP POST Request Counter",
                          "# HELP http_status_total HTTP Access Counter",
                          "# HELP exceptions_total HTTP Server Exception Counter",
                          "# HELP http_get_request_processing_seconds HTTP GET Request Time",
                          "# TYPE http_get_request_processing_seconds summary",
                          "# HELP http_post_request_processing_seconds HTTP POST Request Time"):
            assert help_line in text, help_line
        s = samples(text)
        want = {
            "http_get_requests_total": 1,
            "http_post_requests_total": 2,
            'http_status_total{method="GET",url="/hoge",status_code="200"}': 1,
            'http_status_total{method="POST",url="/fuga",status_code="200"}': 2,
            'http_status_total{method="GET",url="/hoge/error",status_code="500"}': 1,
            'http_status_total{method="POST",url="/a/b/error",status_code="500"}': 1,
            "exceptions_total": 2,
            "http_get_request_processing_seconds_count": 2,
            'http_post_request_processing_seconds_count{method="POST",url="/fuga"}': 2,
        }
        for k, v in want.items():
            assert s.get(k) == v, (k, s.get(k), v)
        assert len([k for k in s if k.startswith("http_status_total")]) == 4, s
        assert stop(p, signal.SIGINT) == 0

        # --sleep-ms 150-200 sleeps, and the summaries time the sleep
        p, base, metrics = start(app, "150-200", log)
        t0 = time.monotonic()
        assert http("GET", base + "/slow")[0] == 200
        assert http("POST", base + "/slow", b"x")[0] == 200
        dt = time.monotonic() - t0
        assert 0.3 <= dt < 5, dt
        s = samples(http("GET", metrics)[1])
        g = s["http_get_request_processing_seconds_sum"]
        po = s['http_post_request_processing_seconds_sum{method="POST",url="/slow"}']
        assert 0.15 <= g < 2.5 and 0.15 <= po < 2.5, (g, po)
        # /error does not sleep (the seed raises before sleeping)
        t0 = time.monotonic()
        assert http("GET", base + "/error")[0] == 500
        assert time.monotonic() - t0 < 0.15
        assert stop(p, signal.SIGTERM) == 0
        print("PASS: app answers, counts, times, and stops cleanly")
        return 0
    except AssertionError as e:
        log.seek(0)
        sys.stdout.write(log.read().decode("utf-8", "replace")[-5000:])
        print(f"FAIL: {e!r}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
