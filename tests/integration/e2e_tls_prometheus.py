#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A real Prometheus scraping libpromc-http over mutual TLS with basic auth.

Certificates are made now with the openssl CLI (a CA, a server certificate
for 127.0.0.1, a client certificate).  tests/http_serve runs the server
with TLS, a client CA and one bcrypt user; /usr/bin/prometheus (1 s scrape
interval, free port, temporary storage) scrapes it as three jobs:
  tls          right CA, client certificate, right password  -> up 1, marker 1
  tls_nocert   no client certificate                         -> up 0, HTTP 403
  tls_badpass  client certificate, wrong password            -> up 0, HTTP 401
Bounded waits; on failure both logs and every target's lastError are
printed.  Kills only what it started, by PID.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from promharness import PromAPI, Proc, free_port, missing, start_prometheus, wait_port_file  # noqa: E402

WAIT_S = 30


def sh(script, cwd):
    r = subprocess.run(["sh", "-ec", script], cwd=cwd, capture_output=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"step failed: {script}\n{r.stderr.decode()}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", required=True)
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    a = ap.parse_args()
    for tool in ("openssl",):
        if not shutil.which(tool):
            print(f"FAIL: {tool} is not installed (scripts/deps.sh test)")
            return 1
    if m := missing([a.prometheus]):
        print(m)
        return 1
    tmp = tempfile.mkdtemp(prefix="promc-tls-e2e-")
    procs = []
    ok = False
    api = None
    try:
        sh("""ec='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 -subj /CN=promc-e2e-ca 2>/dev/null
printf 'basicConstraints=CA:FALSE\\nsubjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > srv.ext
printf 'basicConstraints=CA:FALSE\\nextendedKeyUsage=clientAuth\\n' > cli.ext
openssl req $ec -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>/dev/null
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile srv.ext 2>/dev/null
openssl req $ec -keyout cli.key -out cli.csr -subj /CN=prometheus 2>/dev/null
openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cli.pem -days 2 -extfile cli.ext 2>/dev/null
""", tmp)
        port_file = os.path.join(tmp, "port")
        serve = Proc("http_serve", [a.serve, port_file, os.path.join(tmp, "srv.pem"), os.path.join(tmp, "srv.key"),
                                    os.path.join(tmp, "ca.pem"), "prometheus", "s3cret"], tmp)
        procs.append(serve)
        port = wait_port_file(port_file, serve)
        if port is None:
            raise AssertionError("http_serve did not start")

        prom_port = free_port()
        api = PromAPI(prom_port)
        t = f"['127.0.0.1:{port}']"
        procs.append(start_prometheus(tmp, f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: tls
    scheme: https
    basic_auth: {{username: prometheus, password: s3cret}}
    tls_config: {{ca_file: {tmp}/ca.pem, cert_file: {tmp}/cli.pem, key_file: {tmp}/cli.key}}
    static_configs: [{{targets: {t}}}]
  - job_name: tls_nocert
    scheme: https
    basic_auth: {{username: prometheus, password: s3cret}}
    tls_config: {{ca_file: {tmp}/ca.pem}}
    static_configs: [{{targets: {t}}}]
  - job_name: tls_badpass
    scheme: https
    basic_auth: {{username: prometheus, password: wrong}}
    tls_config: {{ca_file: {tmp}/ca.pem, cert_file: {tmp}/cli.pem, key_file: {tmp}/cli.key}}
    static_configs: [{{targets: {t}}}]
""", prom_port, binary=a.prometheus))

        def targets():
            return {tg["labels"]["job"]: (tg["health"], tg["lastError"]) for tg in api.targets()}

        query = api.scalar

        want = {"tls": ("up", None), "tls_nocert": ("down", "403"), "tls_badpass": ("down", "401")}
        deadline = time.monotonic() + WAIT_S
        last = None
        while time.monotonic() < deadline:
            try:
                last = targets()
                good = all(j in last and last[j][0] == h and (e is None or e in last[j][1])
                           for j, (h, e) in want.items())
                if good and query('tls_e2e_marker{job="tls"}') == 1 and query('up{job="tls"}') == 1:
                    ok = True
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.25)
        if not ok:
            raise AssertionError(f"targets did not reach the expected state in {WAIT_S} s: {last}")
        print("PASS: Prometheus scraped over mTLS + basic auth; no certificate -> 403, wrong password -> 401")
        return 0
    except AssertionError as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        if not ok and api:
            api.print_targets()
        for p in reversed(procs):
            p.stop()
            if not ok:
                p.dump(10000)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
