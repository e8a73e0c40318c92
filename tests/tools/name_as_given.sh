#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# counter_name_as_given read back by the real tools: promtool check metrics
# accepts the text output and warns, for exactly the two flagged counters,
# that counters should end in _total (exit status 3: lint problems); both
# client_python parsers read the text and the OpenMetrics output back.
# Usage: name_as_given.sh GEN_BINARY PYTHON3
set -eu
gen=$1 py=$2
command -v promtool >/dev/null || { echo "FAIL: promtool not installed (make test installs prometheus)"; exit 1; }
$py -c 'import prometheus_client' || { echo "FAIL: python3-prometheus-client not installed"; exit 1; }
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
"$gen" "$d/out.txt" "$d/out.om"
rc=0
promtool check metrics < "$d/out.txt" > "$d/lint" 2>&1 || rc=$?
cat "$d/lint"
[ "$rc" = 3 ] || { echo "FAIL: promtool check metrics exited $rc, expected 3 (lint warnings only)"; exit 1; }
sort "$d/lint" > "$d/lint.sorted"
cat > "$d/lint.want" <<'WANT'
app_errors counter metrics should have "_total" suffix
http_requests counter metrics should have "_total" suffix
WANT
diff -u "$d/lint.want" "$d/lint.sorted" || { echo "FAIL: promtool's warnings differ"; exit 1; }
echo "promtool check metrics: the expected two warnings, nothing else"
$py - "$d/out.txt" "$d/out.om" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families

def samples(fams):
    return {(f.name, f.type): sorted((s.name, tuple(sorted(s.labels.items())), s.value)
                                     for s in f.samples if not s.name.endswith("_created"))
            for f in fams}

# client_python's text parser reports a counter's samples as x_total
# whether or not the text had the suffix (Prometheus itself stores the name
# as written); what matters here is that the family, type and values read
# back.  The exact text is checked by test_api.
raw = open(sys.argv[1]).read()
text = samples(text_string_to_metric_families(raw))
want_om = {
    ("http_requests", "counter"): [("http_requests_total", (("method", "GET"),), 7.0),
                                   ("http_requests_total", (("method", "POST"),), 2.0)],
    ("app_errors", "counter"): [("app_errors_total", (), 1.0)],
    ("app_jobs", "counter"): [("app_jobs_total", (), 5.0)],
}
want_text = want_om
om = samples(om_families(open(sys.argv[2]).read()))
ok = True
for line in ('http_requests{method="GET"} 7', 'app_errors 1', 'app_jobs_total 5'):
    if line + "\n" not in raw:
        print("FAIL: the text output lacks %r" % line)
        ok = False
for what, got, want in (("text", text, want_text), ("OpenMetrics", om, want_om)):
    if got != want:
        print("FAIL: %s read back as\n  %r\nexpected\n  %r" % (what, got, want))
        ok = False
    else:
        print("client_python's %s parser: the names and values expected" % what)
sys.exit(0 if ok else 1)
PY
