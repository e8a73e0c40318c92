/* SPDX-License-Identifier: Apache-2.0 */
/* test_exemplar_stress.c — no torn exemplar: writer threads record
 * exemplars whose every field is derived from one number K (labels of
 * K-dependent length, value, timestamp), while a scraper renders OpenMetrics
 * and protobuf and checks that each exemplar it sees is whole: all fields
 * from the same K. Runs under ThreadSanitizer too (label stress).
 *
 * Usage: test_exemplar_stress [milliseconds] [writers] */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promc/promc.h"

static promc_counter *g_ctr;
static promc_histogram *g_hist;
static atomic_int g_stop;
static int g_writers = 2;

/* The fields of exemplar K written by thread t: trace_id = hex(K) repeated
 * K % 7 + 1 times, thread = t, counter value 1 + K % 5, histogram value
 * K % 3 + 0.5, timestamp 1e9 + K. */
static void trace_of(uint64_t k, char *out) {
  char hex[24];
  int n = snprintf(hex, sizeof hex, "%" PRIx64, k);
  out[0] = 0;
  for (uint64_t i = 0; i < k % 7 + 1; i++) memcpy(out + i * (size_t)n, hex, (size_t)n + 1);
}

static void *writer(void *arg) {
  uint64_t t = (uint64_t)(uintptr_t)arg;
  char trace[200], thread[8];
  snprintf(thread, sizeof thread, "%" PRIu64, t);
  const char *names[] = {"trace_id", "thread"}, *values[] = {trace, thread};
  for (uint64_t i = 0; !atomic_load_explicit(&g_stop, memory_order_relaxed); i++) {
    uint64_t k = i * (uint64_t)g_writers + t;
    trace_of(k, trace);
    if (promc_counter_add_exemplar(g_ctr, (double)(1 + k % 5), 2, names, values, 1e9 + (double)k) != 0) abort();
    if (promc_histogram_observe_exemplar(g_hist, (double)(k % 3) + 0.5, 2, names, values, 1e9 + (double)k) != 0)
      abort();
  }
  return NULL;
}

static long g_checked, g_bad;
static uint64_t g_distinct_last = UINT64_MAX, g_distinct;

static void bad(const char *why, const char *line, size_t n) {
  if (g_bad++ < 10) fprintf(stderr, "TORN (%s): %.*s\n", why, (int)n, line);
}

/* Checks one exemplar; kind 'c' counter, 'h' histogram bucket le. */
static void check_fields(const char *trace, size_t trace_len, uint64_t t, double value, double ts, char kind,
                         double le, const char *line, size_t n) {
  double kd = ts - 1e9;
  if (!(kd >= 0) || kd != (double)(uint64_t)kd) return bad("timestamp", line, n);
  uint64_t k = (uint64_t)kd;
  char want[200];
  trace_of(k, want);
  if (strlen(want) != trace_len || memcmp(want, trace, trace_len) != 0) return bad("trace_id", line, n);
  if (k % (uint64_t)g_writers != t) return bad("thread", line, n);
  if (kind == 'c' && value != (double)(1 + k % 5)) return bad("counter value", line, n);
  if (kind == 'h') {
    if (value != (double)(k % 3) + 0.5) return bad("histogram value", line, n);
    if (!(value <= le)) return bad("bucket", line, n);
  }
  g_checked++;
  if (k != g_distinct_last) {
    g_distinct++;
    g_distinct_last = k;
  }
}

/* Parses OpenMetrics lines with exemplars: ... # {trace_id="X",thread="T"} V TS */
static void scan_openmetrics(const char *p) {
  for (const char *line = p; *line;) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    const char *ex = memmem(line, n, " # {trace_id=\"", 14);
    if (ex) {
      char kind = strncmp(line, "ex_total", 8) == 0 ? 'c' : 'h';
      double le = 0;
      if (kind == 'h') {
        const char *l = memmem(line, n, "le=\"", 4);
        le = l ? strtod(l + 4, NULL) : -1;
        if (l && strncmp(l + 4, "+Inf", 4) == 0) le = 1e300;
      }
      const char *tr = ex + 14, *q = memchr(tr, '"', n - (size_t)(tr - line));
      if (!q || strncmp(q, "\",thread=\"", 10) != 0) {
        bad("layout", line, n);
      } else {
        char *e;
        uint64_t t = strtoull(q + 10, &e, 10);
        if (strncmp(e, "\"} ", 3) != 0) {
          bad("layout", line, n);
        } else {
          double v = strtod(e + 3, &e);
          double ts = strtod(e, NULL);
          check_fields(tr, (size_t)(q - tr), t, v, ts, kind, le, line, n);
        }
      }
    }
    line += n + (end ? 1 : 0);
  }
}

/* Minimal protobuf walk: finds every Exemplar (Counter field 2, Bucket field
 * 3) and checks it. Only what this registry produces is handled. */
static const unsigned char *varint(const unsigned char *p, uint64_t *v) {
  *v = 0;
  for (int s = 0;; s += 7) {
    *v |= (uint64_t)(*p & 0x7f) << s;
    if (!(*p++ & 0x80)) return p;
  }
}

static double f64(const unsigned char *p) {
  uint64_t b = 0;
  for (int i = 7; i >= 0; i--) b = b << 8 | p[i];
  double d;
  memcpy(&d, &b, sizeof d);
  return d;
}

static void pb_exemplar(const unsigned char *p, const unsigned char *end, char kind, double le) {
  char trace[200] = "";
  size_t trace_len = 0;
  uint64_t t = UINT64_MAX;
  double v = -1, ts = -1;
  while (p < end) {
    uint64_t tag, len;
    p = varint(p, &tag);
    if (tag == (1 << 3 | 2)) { /* LabelPair */
      p = varint(p, &len);
      const unsigned char *pe = p + len, *name = NULL, *val = NULL;
      uint64_t nl = 0, vl = 0;
      while (p < pe) {
        uint64_t tg, l;
        p = varint(p, &tg);
        p = varint(p, &l);
        if (tg == (1 << 3 | 2)) name = p, nl = l;
        else val = p, vl = l;
        p += l;
      }
      if (name && nl == 8 && memcmp(name, "trace_id", 8) == 0 && val && vl < sizeof trace) {
        memcpy(trace, val, vl);
        trace_len = vl;
      } else if (name && nl == 6 && memcmp(name, "thread", 6) == 0 && val) {
        t = strtoull((const char *)val, NULL, 10);
      }
    } else if (tag == (2 << 3 | 1)) {
      v = f64(p);
      p += 8;
    } else if (tag == (3 << 3 | 2)) { /* Timestamp */
      p = varint(p, &len);
      const unsigned char *pe = p + len;
      uint64_t sec = 0, nanos = 0;
      while (p < pe) {
        uint64_t tg, x;
        p = varint(p, &tg);
        p = varint(p, &x);
        if (tg == (1 << 3)) sec = x;
        else nanos = x;
      }
      ts = (double)sec + (double)nanos / 1e9;
    } else {
      bad("pb field", "", 0);
      return;
    }
  }
  check_fields(trace, trace_len, t, v, ts, kind, le, "(protobuf)", 10);
}

/* Walks MetricFamily > Metric > Counter|Histogram > Bucket > Exemplar. */
static void pb_walk(const unsigned char *p, const unsigned char *end, int depth, char kind) {
  while (p < end) {
    uint64_t tag, len;
    p = varint(p, &tag);
    unsigned field = (unsigned)(tag >> 3), wt = (unsigned)(tag & 7);
    if (wt == 0) {
      p = varint(p, &len);
      continue;
    }
    if (wt == 1) {
      p += 8;
      continue;
    }
    p = varint(p, &len);
    const unsigned char *sub = p, *se = p + len;
    p = se;
    if (depth == 0 && field == 4) pb_walk(sub, se, 1, kind);                       /* Metric */
    else if (depth == 1 && field == 3) pb_walk(sub, se, 2, 'c');                   /* Counter */
    else if (depth == 1 && field == 7) pb_walk(sub, se, 2, 'h');                   /* Histogram */
    else if (depth == 2 && kind == 'c' && field == 2) pb_exemplar(sub, se, 'c', 0);   /* Counter.exemplar */
    else if (depth == 2 && kind == 'h' && field == 3) {                                /* Bucket: le first */
      double b = 0;
      for (const unsigned char *q = sub; q < se;) {
        uint64_t tg, l;
        q = varint(q, &tg);
        if ((tg & 7) == 0) q = varint(q, &l);
        else if ((tg & 7) == 1) {
          if (tg >> 3 == 2) b = f64(q);
          q += 8;
        } else {
          q = varint(q, &l);
          if (tg >> 3 == 3) pb_exemplar(q, q + l, 'h', b);
          q += l;
        }
      }
    }
  }
}

static void scan_protobuf(const promc_buf *b) {
  const unsigned char *p = (const unsigned char *)b->data, *end = p + b->len;
  while (p < end) {
    uint64_t len;
    p = varint(p, &len);
    pb_walk(p, p + len, 0, 0);
    p += len;
  }
}

int main(int argc, char **argv) {
  long ms = argc > 1 ? atol(argv[1]) : 2000;
  g_writers = argc > 2 ? atoi(argv[2]) : 2;
  if (g_writers < 1 || g_writers > 64) return 2;
  promc_registry *r;
  if (promc_registry_new(&r) ||
      promc_counter_new(&g_ctr, &(promc_opts){.name = "ex", .help = "", .registry = r, .exemplars = 1}) ||
      promc_histogram_new(&g_hist, &(promc_opts){.name = "exh", .help = "", .registry = r, .exemplars = 1,
                                                 PROMC_BUCKETS(1, 2, 3)})) {
    fprintf(stderr, "setup: %s\n", promc_errmsg());
    return 1;
  }
  pthread_t th[64];
  for (int i = 0; i < g_writers; i++) pthread_create(&th[i], NULL, writer, (void *)(uintptr_t)i);
  promc_buf b = {0};
  long scrapes = 0;
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do {
    b.len = 0;
    if (promc_registry_render_buf(r, PROMC_FORMAT_OPENMETRICS, NULL, &b)) return 1;
    scan_openmetrics(b.data);
    b.len = 0;
    if (promc_registry_render_buf(r, PROMC_FORMAT_PROTOBUF, NULL, &b)) return 1;
    scan_protobuf(&b);
    scrapes++;
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < ms);
  atomic_store(&g_stop, 1);
  for (int i = 0; i < g_writers; i++) pthread_join(th[i], NULL);
  double total = promc_counter_get(g_ctr);
  uint64_t count;
  promc_histogram_get(g_hist, NULL, 0, &count, NULL);
  printf("%ld scrapes, %ld exemplars checked, %" PRIu64 " changes seen, %ld torn; %.0f counted, %" PRIu64
         " observed\n",
         scrapes, g_checked, g_distinct, g_bad, total, count);
  promc_buf_free(&b);
  promc_registry_free(r);
  /* the test must have watched exemplars change under it to mean anything */
  if (g_bad || g_checked < 100 || g_distinct < 20) {
    fprintf(stderr, "FAIL: torn=%ld checked=%ld distinct=%" PRIu64 "\n", g_bad, g_checked, g_distinct);
    return 1;
  }
  return 0;
}
