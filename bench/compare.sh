#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Every figure of docs/benchmarks.md (and docs/formats.md's cost table) that
# comes from a promc program, for two builds in one run: for each benchmark
# the OLD and the NEW build's binary run back to back (old first on odd
# repetitions, new first on even), REPS times, and one Markdown table gives
# the medians, new/old, and "SLOWER" where the new build is worse by more
# than 3% (lower is better for times and memory, higher for requests/s).
# Rows a build cannot produce (binary missing, failed, timed out, or an
# older bench without that figure) say "n/a"; the run goes on.
#
# Usage: bench/compare.sh OLD_BUILD_DIR NEW_BUILD_DIR [REPS]     (REPS default 5)
#   HTTP=0    skip the wrk rows (scrape over HTTP, request middleware over loopback)
#   SECS=5    seconds per wrk run
#   LIMIT=2400  stop starting repetitions after this many seconds; the table
#             then says how many repetitions each row had
#   ONLY=render,lookup  run only these groups (core core_shared lookup render
#             om mp collectors middleware http middleware_wrk)
#   TIMEOUT=120 seconds a benchmark may run (its process group is then killed;
#             the lookup program gets at least 300)
# Total on a shared 2-core machine: about 115 s per repetition at load 5, 180 s
# at load 8-10 (both builds; 40 s less with HTTP=0), so 10 to 15 minutes at
# REPS=5 (LIMIT bounds it).
# Both builds need the bench targets (the default `make build`). The lookup
# rows run bench/bench_core.c of this tree, compiled with the same flags
# against each build's libpromc.a and its source tree's headers (found in
# CMakeCache.txt), so that both sides run one program whatever their bench/.
# Needs python3; wrk and curl for the HTTP rows.
set -eu
[ $# -ge 2 ] || { echo "usage: bench/compare.sh OLD_BUILD_DIR NEW_BUILD_DIR [REPS]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
exec /usr/bin/python3 - "$root" "$1" "$2" "${3:-5}" <<'PY'
import os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

root, old_dir, new_dir, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
HTTP = os.environ.get("HTTP", "1") != "0"
SECS = int(os.environ.get("SECS", "5"))
LIMIT = float(os.environ.get("LIMIT", "2400"))
TIMEOUT = int(os.environ.get("TIMEOUT", "120"))
builds = {"old": os.path.abspath(old_dir), "new": os.path.abspath(new_dir)}
work = tempfile.mkdtemp(prefix="promc-compare-")
log = open(os.path.join(work, "log.txt"), "w")
t_start = time.time()

def note(msg):
    print(msg, file=sys.stderr, flush=True)
    log.write(msg + "\n"); log.flush()

for v, d in builds.items():
    if not os.path.isdir(d):
        note(f"compare: {v} build {d} is not a directory: every {v} row will be n/a")

def num(s):
    try: return float(s)
    except ValueError: return None

def run(argv, timeout, env=None, ok=(0,)):
    """stdout of argv, or None (missing, an exit status not in ok, timeout)."""
    if not os.access(argv[0], os.X_OK):
        note(f"  missing: {argv[0]}")
        return None
    # its own process group, so that a timeout also ends what it forked
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env, start_new_session=True)
    try:
        p.stdout, p.stderr = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        note(f"  timed out after {timeout} s: {' '.join(argv)}")
        return None
    log.write(f"$ {' '.join(argv)}\n{p.stdout}{p.stderr}\n")
    if p.returncode not in ok:
        note(f"  exit {p.returncode}: {' '.join(argv)}: {p.stderr.strip()[:200]}")
        return None
    if p.returncode != 0:
        note(f"  exit {p.returncode}, its figures kept: {' '.join(argv)}")
    return p.stdout

def plain(out):
    """'promc name value unit' / 'promc-mp name value unit' / 'name value unit' lines."""
    for line in out.splitlines():
        f = line.split()
        if f and f[0] in ("promc", "promc-mp"): f = f[1:]
        if len(f) >= 2 and num(f[1]) is not None:
            yield f[0], num(f[1]), f[2] if len(f) > 2 else ""

def collectors(out):
    for line in out.splitlines():
        m = re.match(r"\s*(\w+)\s+collector:\s+([\d.]+) us per scrape", line)
        if m: yield f"{m.group(1)}_collector_scrape", float(m.group(2)), "us"
        m = re.match(r"textfile .*:\s+([\d.]+) us per write", line)
        if m: yield "textfile_write", float(m.group(1)), "us"

# ---- the lookup program: this tree's bench_core.c against each build
def source_dir(build):
    try:
        for line in open(os.path.join(build, "CMakeCache.txt")):
            if line.startswith("CMAKE_HOME_DIRECTORY:INTERNAL="): return line.split("=", 1)[1].strip()
    except OSError: pass
    return None

def build_lookup(v):
    b, src = builds[v], source_dir(builds[v])
    lib = os.path.join(b, "libpromc.a")
    if not src or not os.path.exists(lib):
        note(f"compare: no lookup program for {v} ({'no libpromc.a' if src else 'no CMakeCache.txt'} in {b})")
        return None
    exe = os.path.join(work, f"bench_core_lookup_{v}")
    cmd = ["gcc", "-O2", "-std=c11", "-pthread", "-DPROMC_BENCH_INLINE", f"-I{src}/include", f"-I{root}/bench",
           "-o", exe, f"{root}/bench/bench_core.c", lib, "-lm", "-ldl"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        note(f"compare: the lookup program does not build against {v}: {p.stdout.strip()[:300]}")
        return None
    return exe
lookup_exe = {v: build_lookup(v) for v in builds}

# ---- HTTP: a server on a free loopback port, wrk against it
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

def wait_up(url, proc):
    for _ in range(100):
        if proc.poll() is not None: return False
        try:
            urllib.request.urlopen(url, timeout=1).read(); return True
        except Exception: time.sleep(0.1)
    return False

def wrk(url, threads, conns, extra=()):
    out = run(["/usr/bin/wrk", f"-t{threads}", f"-c{conns}", f"-d{SECS}s", "--latency", *extra, url], SECS + 30)
    if out is None: return None, None, None
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    n = re.search(r"(\d+) requests in", out)
    ms = None
    if p99: ms = float(p99.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
    return (float(rps.group(1)) if rps else None), ms, (int(n.group(1)) if n else None)

def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f: s = f.read()
    f = s[s.rindex(")") + 2:].split()
    return int(f[11]) + int(f[12])

def serve(argv, probe):
    if not os.access(argv[0], os.X_OK):
        note(f"  missing: {argv[0]}"); return None
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    if not wait_up(probe, p):
        note(f"  did not come up: {' '.join(argv)}"); stop(p); return None
    return p

def stop(p):
    if p.poll() is None:
        p.terminate()
        try: p.wait(5)
        except subprocess.TimeoutExpired: p.kill(); p.wait()

def http_scrape(b):
    port = free_port()
    p = serve([f"{b}/bench/http_bench", str(port), str(3 * SECS + 20)], f"http://127.0.0.1:{port}/metrics")
    if p is None: return
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        for enc, extra in (("plain", ()), ("gzip", ("-H", "Accept-Encoding: gzip"))):
            rps, p99, _ = wrk(url, 2, 2, extra)
            if rps is not None: yield f"scrape_{enc}_rps", rps, "req/s"
            if p99 is not None: yield f"scrape_{enc}_p99", p99, "ms"
    finally: stop(p)

def http_middleware(b):
    hz = os.sysconf("SC_CLK_TCK")
    for mode, extra in (("mw", []), ("bare", ["--no-middleware"])):
        port = free_port()
        p = serve([f"{b}/examples/embed_mhd", "--listen", f"127.0.0.1:{port}", *extra], f"http://127.0.0.1:{port}/hello")
        if p is None: continue
        try:
            t0 = cpu_ticks(p.pid)
            rps, _, n = wrk(f"http://127.0.0.1:{port}/hello", 1, 4)
            t1 = cpu_ticks(p.pid)
            if rps is not None: yield f"hello_{mode}_rps", rps, "req/s"
            if n: yield f"hello_{mode}_cpu", (t1 - t0) * 1e9 / hz / n, "ns/request"
        finally: stop(p)

# ---- the benchmarks: name, function(build dir, version) -> rows, timeout
def cmd(rel, *args, parse=plain, timeout=TIMEOUT, ok=(0,)):
    def f(b, v):
        out = run([os.path.join(b, rel), *args], timeout, ok=ok)
        return list(parse(out)) if out is not None else []
    return f

def lookup(b, v):
    if not lookup_exe[v]: return []
    out = run([lookup_exe[v], "lookup"], max(TIMEOUT, 300))
    return list(plain(out)) if out is not None else []

mp_dir = tempfile.mkdtemp(prefix="promc-compare-tmp-")
jobs = [
    ("core", cmd("bench/bench_core", "micro")),                       # tests a-e, references
    ("core_shared", cmd("bench/bench_core_shared", "micro")),         # the same on libpromc.so
    ("core", cmd("bench/bench_core", "expo")),                        # test f
    ("lookup", lookup),
    ("render", cmd("bench/bench_render", "create", "100000", "1000")),
    ("render", cmd("bench/bench_render", "values", "zero", "100000", "15")),
    ("render", cmd("bench/bench_render", "values", "int", "100000", "15")),
    ("render", cmd("bench/bench_render", "mixed", "text", "15")),
    ("render", cmd("bench/bench_render", "mixed", "openmetrics", "15")),
    ("render", cmd("bench/bench_render", "mixed", "protobuf", "15")),
    ("om", cmd("bench/bench_om")),
    ("om", cmd("bench/bench_om", "mem", "0")),
    ("om", cmd("bench/bench_om", "mem", "1")),
    # exit 2: its own check (totals exact, min scrape after <= 1.10 x before),
    # which other load trips; the rows totals_exact and *_min show which
    ("mp", cmd("bench/bench_mp", "1000", "1000", ok=(0, 2))),
    ("collectors", cmd("bench/bench_collectors", mp_dir, parse=collectors)),
    ("middleware", cmd("bench/bench_middleware", "20000", "21")),
]
ONLY = [g for g in os.environ.get("ONLY", "").split(",") if g]
if ONLY:
    jobs = [j for j in jobs if j[0] in ONLY]
    HTTP = HTTP and ("http" in ONLY or "middleware_wrk" in ONLY)
if HTTP:
    if shutil.which("wrk") and os.access("/usr/bin/wrk", os.X_OK):
        jobs += [j for j in (("http", lambda b, v: list(http_scrape(b))),
                             ("middleware_wrk", lambda b, v: list(http_middleware(b))))
                 if not ONLY or j[0] in ONLY]
    else:
        note("compare: wrk is not installed (apt-get install wrk): the HTTP rows are n/a")

vals, units, order, produced = {}, {}, [], set()
done = 0
for rep in range(1, reps + 1):
    if time.time() - t_start > LIMIT:
        note(f"compare: LIMIT={LIMIT:.0f} s reached after {done} repetitions"); break
    seq = ["old", "new"] if rep % 2 else ["new", "old"]
    note(f"rep {rep}/{reps}: {' '.join(seq)} ({time.time() - t_start:.0f} s so far)")
    for j, (group, fn) in enumerate(jobs):
        for v in seq:
            rows = fn(builds[v], v)
            if rows: produced.add((j, v))
            for name, value, unit in rows:
                row = f"{group}: {name}"
                if row not in units: order.append(row); units[row] = unit
                vals.setdefault((row, v), []).append(value)
    done += 1
shutil.rmtree(mp_dir, ignore_errors=True)

def direction(row, unit):
    name = row.split(": ", 1)[1]
    if name.startswith("ref_") or unit in ("count", "bool"): return None          # references, checks
    if re.search(r"(render|scrape)_bytes|_bytes$", name) or name.startswith("render_") and unit == "B": return None
    if unit in ("req/s", "per_s"): return "higher"
    if name in ("promc_mw_overhead",): return None  # a difference of two medians; its parts are rows
    return "lower"

elapsed = time.time() - t_start
print(f"compare: old = {builds['old']}, new = {builds['new']}; medians of {done} repetitions, "
      f"alternating; {elapsed:.0f} s in all; raw output in {log.name}")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"machine: {os.cpu_count()} CPUs, {cpu}, load average {os.getloadavg()[0]:.1f} at the end\n")
print("| row | unit | old | new | new/old | range | |")
print("|---|---|---|---|---|---|---|")
flagged = inside = 0
def spread(xs, m):  # (max - min) / median of one build's runs
    return (max(xs) - min(xs)) / abs(m) if xs and len(xs) > 1 and m else 0.0
for row in order:
    o, n = vals.get((row, "old")), vals.get((row, "new"))
    mo = statistics.median(o) if o else None
    mn = statistics.median(n) if n else None
    cell = lambda m, xs: "n/a" if m is None else (f"{m:.3f}" if abs(m) < 1000 else f"{m:,.0f}") + \
        (f" ({len(xs)} runs)" if len(xs) != done else "")
    ratio, rng, flag = "", "", ""
    if mo is not None and mn is not None and mo != 0:
        r = mn / mo
        sp = max(spread(o, mo), spread(n, mn))
        ratio, rng = f"{r:.3f}", (f"{100 * sp:.0f}%" if done > 1 else "")
        d = direction(row, units[row])
        if d == "lower" and r > 1.03 or d == "higher" and r < 1 / 1.03:
            flagged += 1
            flag = "**SLOWER**"
            if done > 1 and abs(r - 1) <= sp:
                flag += " (inside the range)"; inside += 1
        elif d is None and mn != mo and units[row] in ("B", "bytes", "bool", "count"):
            flag = "differs"
    print(f"| {row} | {units[row]} | {cell(mo, o or [])} | {cell(mn, n or [])} | {ratio} | {rng} | {flag} |")
labels = ["bench_core micro", "bench_core_shared micro", "bench_core expo", "lookup (bench_core.c of this tree)",
          "bench_render create", "bench_render values zero", "bench_render values int", "bench_render mixed text",
          "bench_render mixed openmetrics", "bench_render mixed protobuf", "bench_om", "bench_om mem 0",
          "bench_om mem 1", "bench_mp", "bench_collectors", "bench_middleware", "http_bench + wrk",
          "embed_mhd + wrk"]
missing = [f"{labels[j]} ({v})" for j in range(len(jobs)) for v in ("old", "new") if done and (j, v) not in produced]
if missing:
    print("\nn/a, no figure in any repetition (stderr and the log say why): " + ", ".join(missing))
print(f"\n{flagged} rows slower by more than 3% in the new build, {inside} of them by less than the"
      " range of their runs (range: (max - min) / median of the runs of one build, the larger of the two)."
      " Lower is better for times and memory, higher for req/s and scrapes per second; rows without"
      " a direction (references, sizes, counts) are not flagged, sizes and counts say \"differs\" when they do.")
PY
