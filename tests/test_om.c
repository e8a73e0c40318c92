/* SPDX-License-Identifier: Apache-2.0 */
/* test_om.c — OpenMetrics and protobuf exposition, exemplars.
 *
 * The mixed registry below is mirrored by tests/tools/om_check.py, which
 * reads the OpenMetrics output back with client_python's parser and decodes
 * the protobuf output message by message with protoc and the real
 * metrics.proto. Change both together. */
#include <math.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "promc/promc.h"

extern char **environ;

#define NV(...) PROMC_LABELS_N_(__VA_ARGS__), PROMC_STRS_(__VA_ARGS__)
#define STRS(...) PROMC_STRS_(__VA_ARGS__)

/* Runs argv, returns its exit status (or -1 if it could not run). */
static int run(const char *const *argv) {
  pid_t pid;
  if (posix_spawn(&pid, argv[0], NULL, NULL, (char *const *)(uintptr_t)argv, environ) != 0) {
    fprintf(stderr, "cannot run %s\n", argv[0]);
    return -1;
  }
  int st;
  if (waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

/* ------------------------------------------------------ the mixed registry */
static int collect_legacy(promc_collect *ctx, void *user) {
  (void)user;
  int rc = promc_collect_family(ctx, "legacy_metric", "From a collector.", PROMC_TYPE_UNTYPED, NULL);
  rc |= promc_collect_sample(ctx, 1, STRS("a"), STRS("b"), 42);
  rc |= promc_collect_family(ctx, "queue_size", "Queue sizes.", PROMC_TYPE_GAUGE_HISTOGRAM, NULL);
  static const double bounds[] = {1, 10};
  static const uint64_t cum[] = {2, 5, 7};
  rc |= promc_collect_histogram(ctx, 0, NULL, NULL, 2, bounds, cum, 30);
  return rc ? -1 : 0;
}

static promc_registry *mixed_registry(void) {
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  static const char *const cn[] = {"env"}, *const cv[] = {"prod \"x\""};

  promc_counter *req;
  assert_int_equal(promc_counter_new(&req, &(promc_opts){.name = "requests",
                                                         .help = "Requests served.\nWith a \\ backslash and \"quotes\".",
                                                         .registry = r, .exemplars = 1,
                                                         PROMC_LABEL_NAMES("method", "path"),
                                                         PROMC_CONST_LABELS(cn, cv)}),
                   0);
  promc_counter *get = promc_counter_labels(req, "GET", "/a\"b\\c\nd");
  promc_counter *post = promc_counter_labels(req, "POST", "/\xc3\xbcn\xc3\xaf/\xe6\x97\xa5\xe6\x9c\xac");
  promc_counter *put = promc_counter_labels(req, "PUT", "");
  promc_counter *del = promc_counter_labels(req, "DELETE", "x");
  assert_int_equal(promc_counter_add(get, 5), 0);
  assert_int_equal(promc_counter_inc_exemplar(get, NV("trace_id"), STRS("abc123")), 0);
  assert_int_equal(promc_counter_add_exemplar(post, 2.5, 2, STRS("trace_id", "span_id"),
                                              STRS("t\"2\\", "\xc3\xa9"), 1620000000.5),
                   0);
  assert_int_equal(promc_counter_add(put, 0), 0);
  assert_int_equal(promc_counter_add(del, 1e21), 0);

  promc_gauge *temp;
  assert_int_equal(promc_gauge_new(&temp, &(promc_opts){.name = "temperature_celsius", .unit = "celsius",
                                                        .help = "Temperatures.", .registry = r,
                                                        PROMC_LABEL_NAMES("where")}),
                   0);
  static const struct {
    const char *w;
    double v;
  } gv[] = {{"a", 0.0}, {"b", -0.0}, {"c", 1e-9}, {"d", 1e21}, {"e", 0.1},
            {"f", NAN}, {"g", INFINITY}, {"h", -INFINITY}, {"i", -12345.678}};
  for (size_t i = 0; i < sizeof gv / sizeof gv[0]; i++)
    assert_int_equal(promc_gauge_set(promc_gauge_labels(temp, gv[i].w), gv[i].v), 0);

  promc_histogram *lat;
  assert_int_equal(promc_histogram_new(&lat, &(promc_opts){.name = "latency_seconds", .unit = "seconds",
                                                           .help = "Latency.", .registry = r, .exemplars = 1,
                                                           PROMC_LABEL_NAMES("route"),
                                                           PROMC_BUCKETS(0.005, 0.1, 1, 2.5, 1e6)}),
                   0);
  promc_histogram *x = promc_histogram_labels(lat, "/x");
  assert_non_null(promc_histogram_labels(lat, "/y"));
  assert_int_equal(promc_histogram_observe_exemplar(x, 0.05, NV("trace_id"), STRS("h1"), 1620000001.25), 0);
  assert_int_equal(promc_histogram_observe(x, 0.1), 0);
  assert_int_equal(promc_histogram_observe(x, 2), 0);
  char jp[3 * 120 + 1]; /* 120 CJK characters: with "trace_id" exactly 128 */
  for (int i = 0; i < 120; i++) memcpy(jp + 3 * i, "\xe6\x97\xa5", 3);
  jp[360] = 0;
  assert_int_equal(promc_histogram_observe_exemplar(x, 1e9, NV("trace_id"), STRS(jp), 0), 0);

  promc_summary *pay;
  assert_int_equal(promc_summary_new(&pay, &(promc_opts){.name = "payload_bytes", .unit = "bytes",
                                                         .help = "Payload sizes.", .registry = r}),
                   0);
  assert_int_equal(promc_summary_observe(pay, 10), 0);
  assert_int_equal(promc_summary_observe(pay, 20.5), 0);

  promc_info *build;
  assert_int_equal(promc_info_new(&build, &(promc_opts){.name = "build", .help = "Build information.",
                                                        .registry = r}),
                   0);
  assert_int_equal(promc_info_set(build, 2, STRS("version", "commit"), STRS("1.2.3", "ab\"c\\")), 0);

  promc_enum *state;
  assert_int_equal(promc_enum_new(&state, &(promc_opts){.name = "state", .help = "Service state.", .registry = r,
                                                        PROMC_LABEL_NAMES("svc"),
                                                        PROMC_STATES("starting", "running", "stopped \"x\"")}),
                   0);
  assert_int_equal(promc_enum_set(promc_enum_labels(state, "api"), 1), 0);

  promc_counter *ticks;
  assert_int_equal(promc_counter_new(&ticks, &(promc_opts){.name = "ticks_total", .help = "", .registry = r}), 0);
  for (int i = 0; i < 3; i++) assert_int_equal(promc_counter_inc(ticks), 0);

  assert_int_equal(promc_registry_add_collector(r, &(promc_collector){.name = "legacy", .collect = collect_legacy}),
                   0);
  return r;
}

static void mixed_registry_read_back_by_client_python(void **state) {
  (void)state;
  char t0[32], t1[32];
  snprintf(t0, sizeof t0, "%.6f", promc_wall_seconds() - 1);
  promc_registry *r = mixed_registry();
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_OPENMETRICS, NULL, &b), 0);
  snprintf(t1, sizeof t1, "%.6f", promc_wall_seconds() + 1);
  /* "-0" must survive (the parser reads it as the integer 0) */
  assert_non_null(strstr(b.data, "\ntemperature_celsius{where=\"b\"} -0\n"));
  char path[] = "/tmp/promc_om_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  write_file(path, b.data, b.len);
  const char *argv[] = {PROMC_PYTHON3, PROMC_SOURCE_DIR "/tests/tools/om_check.py", "om", path, t0, t1, NULL};
  int st = run(argv);
  if (st != 0) fprintf(stderr, "OpenMetrics output kept in %s\n", path);
  else unlink(path);
  assert_int_equal(st, 0);
  promc_buf_free(&b);
  promc_registry_free(r);
}

static void mixed_registry_decoded_by_protoc(void **state) {
  (void)state;
  promc_registry *r = mixed_registry();
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_PROTOBUF, NULL, &b), 0);
  char path[] = "/tmp/promc_pb_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  write_file(path, b.data, b.len);
  const char *argv[] = {PROMC_PYTHON3, PROMC_SOURCE_DIR "/tests/tools/om_check.py", "pb", path,
                        PROMC_METRICS_PROTO, PROMC_TIMESTAMP_PROTO, NULL};
  int st = run(argv);
  if (st != 0) fprintf(stderr, "protobuf output kept in %s\n", path);
  else unlink(path);
  assert_int_equal(st, 0);
  promc_buf_free(&b);
  promc_registry_free(r);
}

/* ------------------------------------------------------- exact OpenMetrics */
/* Compares output with want line by line; a want line ending in "*" matches
 * any line with that prefix (for _created values). */
static void expect_lines(const char *got, const char *want) {
  while (*want) {
    const char *we = strchr(want, '\n'), *ge = strchr(got, '\n');
    assert_non_null(we);
    if (!ge) fail_msg("output ended; wanted: %.*s", (int)(we - want), want);
    size_t wl = (size_t)(we - want), gl = (size_t)(ge - got);
    bool ok = want[wl - 1] == '*' ? gl >= wl - 1 && memcmp(got, want, wl - 1) == 0
                                  : gl == wl && memcmp(got, want, wl) == 0;
    if (!ok) fail_msg("got  %.*s\nwant %.*s", (int)gl, got, (int)wl, want);
    want = we + 1;
    got = ge + 1;
  }
  assert_string_equal(got, "");
}

static void openmetrics_layout_is_exact(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_histogram *h, *neg;
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "size_bytes", .unit = "bytes", .help = "a\\b\n\"c\"",
                                                         .registry = r,
                                                         PROMC_BUCKETS(-2, 0, 1e-5, 0.0001, 0.25, 1, 123456.5,
                                                                       1234567, 1e21)}),
                   0);
  assert_int_equal(promc_histogram_observe(h, 0.3), 0);
  assert_int_equal(promc_histogram_new(&neg, &(promc_opts){.name = "delta", .help = "", .registry = r,
                                                           PROMC_BUCKETS(-1, 1)}),
                   0);
  assert_int_equal(promc_histogram_observe(neg, -5), 0);
  promc_info *i;
  assert_int_equal(promc_info_new(&i, &(promc_opts){.name = "v_info", .help = "h", .registry = r}), 0);
  promc_enum *e;
  assert_int_equal(promc_enum_new(&e, &(promc_opts){.name = "mode", .help = "h", .registry = r,
                                                    PROMC_STATES("a", "b")}),
                   0);
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "jobs_total", .help = "h", .registry = r,
                                                       .exemplars = 1}),
                   0);
  assert_int_equal(promc_counter_add_exemplar(c, 0.5, 0, NULL, NULL, 1700000000), 0);
  promc_summary *s;
  assert_int_equal(promc_summary_new(&s, &(promc_opts){.name = "rt", .help = "h", .registry = r}), 0);
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_OPENMETRICS, NULL, &b), 0);
  expect_lines(b.data,
               "# HELP size_bytes a\\\\b\\n\\\"c\\\"\n"
               "# TYPE size_bytes histogram\n"
               "# UNIT size_bytes bytes\n"
               "size_bytes_bucket{le=\"-2.0\"} 0\n"
               "size_bytes_bucket{le=\"0.0\"} 0\n"
               "size_bytes_bucket{le=\"1e-05\"} 0\n"
               "size_bytes_bucket{le=\"0.0001\"} 0\n"
               "size_bytes_bucket{le=\"0.25\"} 0\n"
               "size_bytes_bucket{le=\"1.0\"} 1\n"
               "size_bytes_bucket{le=\"123456.5\"} 1\n"
               "size_bytes_bucket{le=\"1.234567e+06\"} 1\n"
               "size_bytes_bucket{le=\"1e+21\"} 1\n"
               "size_bytes_bucket{le=\"+Inf\"} 1\n"
               "size_bytes_created *\n"
               "# HELP delta \n"
               "# TYPE delta histogram\n"
               "delta_bucket{le=\"-1.0\"} 1\n"
               "delta_bucket{le=\"1.0\"} 1\n"
               "delta_bucket{le=\"+Inf\"} 1\n"
               "delta_created *\n"
               "# HELP v h\n"
               "# TYPE v info\n"
               "v_info 1\n"
               "# HELP mode h\n"
               "# TYPE mode stateset\n"
               "mode{mode=\"a\"} 1\n"
               "mode{mode=\"b\"} 0\n"
               "# HELP jobs h\n"
               "# TYPE jobs counter\n"
               "jobs_total 0.5 # {} 0.5 1700000000\n"
               "jobs_created *\n"
               "# HELP rt h\n"
               "# TYPE rt summary\n"
               "rt_count 0\n"
               "rt_sum 0\n"
               "rt_created *\n"
               "# EOF\n");
  promc_buf_free(&b);
  promc_registry_free(r);
}

/* --------------------------------------------- sums that are no counter */
/* A collector with sums OpenMetrics cannot show: a histogram whose sum is
 * negative, gauge histograms whose sum is NaN or negative without negative
 * buckets, and one with negative buckets (whose negative sum is allowed). */
static int collect_signed(promc_collect *ctx, void *user) {
  (void)user;
  static const double b[] = {1, 10}, nb[] = {-1, 10};
  static const uint64_t cum[] = {1, 2, 2};
  int rc = promc_collect_family(ctx, "col_lat", "Col.", PROMC_TYPE_HISTOGRAM, NULL);
  rc |= promc_collect_histogram(ctx, 1, STRS("k"), STRS("neg"), 2, b, cum, -3);
  rc |= promc_collect_histogram(ctx, 1, STRS("k"), STRS("pos"), 2, b, cum, 3);
  rc |= promc_collect_family(ctx, "col_q", "Q.", PROMC_TYPE_GAUGE_HISTOGRAM, NULL);
  rc |= promc_collect_histogram(ctx, 1, STRS("k"), STRS("nan"), 2, b, cum, NAN);
  rc |= promc_collect_histogram(ctx, 1, STRS("k"), STRS("neg"), 2, b, cum, -3);
  rc |= promc_collect_histogram(ctx, 1, STRS("k"), STRS("negb"), 2, nb, cum, -3);
  return rc ? -1 : 0;
}

/* Runs "python3 -c CODE FILE"; 0 when client_python's parser takes it. */
static int client_python_reads(const char *parser, const char *data, size_t len) {
  char path[] = "/tmp/promc_parse_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  write_file(path, data, len);
  char code[512];
  snprintf(code, sizeof code,
           "import sys\nfrom prometheus_client.%s import text_string_to_metric_families as p\n"
           "n = sum(1 for _ in p(open(sys.argv[1], encoding='utf-8', errors='strict').read()))\n"
           "print('client_python read', n, 'families')\n",
           parser);
  const char *argv[] = {PROMC_PYTHON3, "-c", code, path, NULL};
  int st = run(argv);
  if (st != 0) fprintf(stderr, "output kept in %s\n", path);
  else unlink(path);
  return st;
}

static void sums_that_are_no_counter_are_left_out(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_histogram *h;
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "lat", .help = "h", .registry = r,
                                                         PROMC_LABEL_NAMES("k"), PROMC_BUCKETS(1, 10)}),
                   0);
  promc_summary *s;
  assert_int_equal(promc_summary_new(&s, &(promc_opts){.name = "rt", .help = "h", .registry = r,
                                                       PROMC_LABEL_NAMES("k")}),
                   0);
  assert_int_equal(promc_histogram_observe(promc_histogram_labels(h, "pos"), 2), 0);
  promc_histogram *hn = promc_histogram_labels(h, "neg");
  assert_int_equal(promc_histogram_observe(hn, 2), 0);
  assert_int_equal(promc_histogram_observe(hn, -0.5), 0); /* the sum stays positive, but may fall */
  assert_int_equal(promc_histogram_observe(promc_histogram_labels(h, "nan"), NAN), 0);
  assert_int_equal(promc_summary_observe(promc_summary_labels(s, "pos"), 2), 0);
  assert_int_equal(promc_summary_observe(promc_summary_labels(s, "neg"), -1), 0);
  assert_int_equal(promc_summary_observe(promc_summary_labels(s, "nan"), NAN), 0);
  assert_int_equal(promc_registry_add_collector(r, &(promc_collector){.name = "c", .collect = collect_signed}), 0);
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_OPENMETRICS, NULL, &b), 0);
  expect_lines(b.data,
               "# HELP lat h\n"
               "# TYPE lat histogram\n"
               "lat_bucket{k=\"pos\",le=\"1.0\"} 0\n"
               "lat_bucket{k=\"pos\",le=\"10.0\"} 1\n"
               "lat_bucket{k=\"pos\",le=\"+Inf\"} 1\n"
               "lat_count{k=\"pos\"} 1\n"
               "lat_sum{k=\"pos\"} 2\n"
               "lat_created{k=\"pos\"} *\n"
               "lat_bucket{k=\"neg\",le=\"1.0\"} 1\n"
               "lat_bucket{k=\"neg\",le=\"10.0\"} 2\n"
               "lat_bucket{k=\"neg\",le=\"+Inf\"} 2\n"
               "lat_created{k=\"neg\"} *\n"
               "lat_bucket{k=\"nan\",le=\"1.0\"} 0\n"
               "lat_bucket{k=\"nan\",le=\"10.0\"} 0\n"
               "lat_bucket{k=\"nan\",le=\"+Inf\"} 1\n"
               "lat_created{k=\"nan\"} *\n"
               "# HELP rt h\n"
               "# TYPE rt summary\n"
               "rt_count{k=\"pos\"} 1\n"
               "rt_sum{k=\"pos\"} 2\n"
               "rt_created{k=\"pos\"} *\n"
               "rt_count{k=\"neg\"} 1\n"
               "rt_created{k=\"neg\"} *\n"
               "rt_count{k=\"nan\"} 1\n"
               "rt_created{k=\"nan\"} *\n"
               "# HELP col_lat Col.\n"
               "# TYPE col_lat histogram\n"
               "col_lat_bucket{k=\"neg\",le=\"1.0\"} 1\n"
               "col_lat_bucket{k=\"neg\",le=\"10.0\"} 2\n"
               "col_lat_bucket{k=\"neg\",le=\"+Inf\"} 2\n"
               "col_lat_bucket{k=\"pos\",le=\"1.0\"} 1\n"
               "col_lat_bucket{k=\"pos\",le=\"10.0\"} 2\n"
               "col_lat_bucket{k=\"pos\",le=\"+Inf\"} 2\n"
               "col_lat_count{k=\"pos\"} 2\n"
               "col_lat_sum{k=\"pos\"} 3\n"
               "# HELP col_q Q.\n"
               "# TYPE col_q gaugehistogram\n"
               "col_q_bucket{k=\"nan\",le=\"1.0\"} 1\n"
               "col_q_bucket{k=\"nan\",le=\"10.0\"} 2\n"
               "col_q_bucket{k=\"nan\",le=\"+Inf\"} 2\n"
               "col_q_bucket{k=\"neg\",le=\"1.0\"} 1\n"
               "col_q_bucket{k=\"neg\",le=\"10.0\"} 2\n"
               "col_q_bucket{k=\"neg\",le=\"+Inf\"} 2\n"
               "col_q_bucket{k=\"negb\",le=\"-1.0\"} 1\n"
               "col_q_bucket{k=\"negb\",le=\"10.0\"} 2\n"
               "col_q_bucket{k=\"negb\",le=\"+Inf\"} 2\n"
               "col_q_gcount{k=\"negb\"} 2\n"
               "col_q_gsum{k=\"negb\"} -3\n"
               "# EOF\n");
  assert_int_equal(client_python_reads("openmetrics.parser", b.data, b.len), 0);
  /* the text format has no such rule: every sum is there */
  promc_buf t = {0};
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &t), 0);
  assert_non_null(strstr(t.data, "\nlat_sum{k=\"neg\"} 1.5\n"));
  assert_non_null(strstr(t.data, "\nrt_sum{k=\"nan\"} NaN\n"));
  /* a revived child starts over, its sum a counter again */
  assert_int_equal(promc_metric_remove(h, "neg"), 0);
  assert_int_equal(promc_histogram_observe(promc_histogram_labels(h, "neg"), 3), 0);
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_OPENMETRICS, NULL, &b), 0);
  assert_non_null(strstr(b.data, "\nlat_sum{k=\"neg\"} 3\n"));
  promc_buf_free(&t);
  promc_buf_free(&b);
  promc_registry_free(r);
}

/* ------------------------------------------- gauge histograms in 0.0.4 */
static int collect_queue(promc_collect *ctx, void *user) {
  (void)user;
  static const double b[] = {1};
  int rc = promc_collect_family(ctx, "queue_wait_seconds", "Waiting \\ items.", PROMC_TYPE_GAUGE_HISTOGRAM, "seconds");
  rc |= promc_collect_histogram(ctx, 1, STRS("q"), STRS("a"), 1, b, (const uint64_t[]){2, 7}, 30);
  rc |= promc_collect_histogram(ctx, 1, STRS("q"), STRS("b"), 1, b, (const uint64_t[]){0, 1}, 0.5);
  rc |= promc_collect_family(ctx, "queue_empty_seconds", "Never filled.", PROMC_TYPE_GAUGE_HISTOGRAM, NULL);
  rc |= promc_collect_family(ctx, "after", "Next family.", PROMC_TYPE_GAUGE, NULL);
  rc |= promc_collect_sample(ctx, 0, NULL, NULL, 1);
  return rc ? -1 : 0;
}

static void gauge_histogram_text_has_gauge_families(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_registry_add_collector(r, &(promc_collector){.name = "q", .collect = collect_queue}), 0);
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b), 0);
  expect_lines(b.data,
               "# HELP queue_wait_seconds Waiting \\\\ items.\n"
               "# TYPE queue_wait_seconds histogram\n"
               "queue_wait_seconds_bucket{q=\"a\",le=\"1\"} 2\n"
               "queue_wait_seconds_bucket{q=\"a\",le=\"+Inf\"} 7\n"
               "queue_wait_seconds_bucket{q=\"b\",le=\"1\"} 0\n"
               "queue_wait_seconds_bucket{q=\"b\",le=\"+Inf\"} 1\n"
               "# HELP queue_wait_seconds_gcount Waiting \\\\ items.\n"
               "# TYPE queue_wait_seconds_gcount gauge\n"
               "queue_wait_seconds_gcount{q=\"a\"} 7\n"
               "queue_wait_seconds_gcount{q=\"b\"} 1\n"
               "# HELP queue_wait_seconds_gsum Waiting \\\\ items.\n"
               "# TYPE queue_wait_seconds_gsum gauge\n"
               "queue_wait_seconds_gsum{q=\"a\"} 30\n"
               "queue_wait_seconds_gsum{q=\"b\"} 0.5\n"
               "# HELP queue_empty_seconds Never filled.\n"
               "# TYPE queue_empty_seconds histogram\n"
               "# HELP after Next family.\n"
               "# TYPE after gauge\n"
               "after 1\n");
  /* promtool, the Prometheus project's own linter, finds nothing to say */
  char path[] = "/tmp/promc_gh_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  write_file(path, b.data, b.len);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "promtool check metrics < %s", path);
  const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  int st = run(argv);
  if (st != 0) fprintf(stderr, "promtool refused %s (status %d; Debian package prometheus)\n", path, st);
  else unlink(path);
  assert_int_equal(st, 0);
  assert_int_equal(client_python_reads("parser", b.data, b.len), 0);
  promc_buf_free(&b);
  promc_registry_free(r);
}

/* ------------------------------------------------------ exemplar contract */
static void exemplar_errors_leave_the_value_unchanged(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_counter *c, *plain, *lab;
  promc_histogram *h;
  promc_gauge *g;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "c", .help = "", .registry = r, .exemplars = 1}), 0);
  assert_int_equal(promc_counter_new(&plain, &(promc_opts){.name = "p", .help = "", .registry = r}), 0);
  assert_int_equal(promc_counter_new(&lab, &(promc_opts){.name = "l", .help = "", .registry = r, .exemplars = 1,
                                                         PROMC_LABEL_NAMES("x")}),
                   0);
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "h", .help = "", .registry = r, .exemplars = 1}),
                   0);
  /* exemplars only on counters and histograms */
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "g", .help = "", .registry = r, .exemplars = 1}),
                   PROMC_EINVAL);
  promc_summary *sm;
  assert_int_equal(promc_summary_new(&sm, &(promc_opts){.name = "s", .help = "", .registry = r, .exemplars = 1}),
                   PROMC_EINVAL);

  char s128[129], s129[130], jp[3 * 128 + 4];
  memset(s128, 'a', 120); /* "trace_id" + 120 = 128 */
  s128[120] = 0;
  memset(s129, 'a', 121);
  s129[121] = 0;
  for (int i = 0; i < 121; i++) memcpy(jp + 3 * i, "\xe2\x82\xac", 3); /* 121 x U+20AC */
  jp[363] = 0;
  static const char bad_utf8[] = {'a', (char)0xc3, 0}, overlong[] = {(char)0xc0, (char)0xaf, 0},
                    surrogate[] = {(char)0xed, (char)0xa0, (char)0x80, 0};
  const struct {
    promc_counter *c;
    double v;
    size_t n;
    const char *const *names, *const *values;
    double ts;
    int want;
  } cases[] = {
      {NULL, 1, 1, STRS("trace_id"), STRS("a"), 0, PROMC_EINVAL},
      {plain, 1, 1, STRS("trace_id"), STRS("a"), 0, PROMC_ESTATE},
      {lab, 1, 1, STRS("trace_id"), STRS("a"), 0, PROMC_ECARD},
      {(promc_counter *)h, 1, 1, STRS("trace_id"), STRS("a"), 0, PROMC_ETYPE},
      {c, -1, 1, STRS("trace_id"), STRS("a"), 0, PROMC_EVALUE},
      {c, NAN, 1, STRS("trace_id"), STRS("a"), 0, PROMC_EVALUE},
      {c, 1, 1, NULL, STRS("a"), 0, PROMC_EINVAL},
      {c, 1, 1, STRS("trace_id"), STRS(NULL), 0, PROMC_EINVAL},
      {c, 1, 1, STRS("trace_id"), STRS("a"), -1, PROMC_EINVAL},
      {c, 1, 1, STRS("trace_id"), STRS("a"), NAN, PROMC_EINVAL},
      {c, 1, 1, STRS("trace_id"), STRS("a"), INFINITY, PROMC_EINVAL},
      {c, 1, 1, STRS("9bad"), STRS("a"), 0, PROMC_ELABEL},
      {c, 1, 1, STRS(""), STRS("a"), 0, PROMC_ELABEL},
      {c, 1, 2, STRS("a", "a"), STRS("x", "y"), 0, PROMC_ELABEL},
      {c, 1, 1, STRS("trace_id"), STRS(s129), 0, PROMC_EVALUE},
      {c, 1, 1, STRS("tr"), STRS(jp), 0, 0}, /* 2 + 121 characters (363 bytes) fit */
      {c, 1, 1, STRS("trace_id"), STRS(jp), 0, PROMC_EVALUE},
      {c, 1, 1, STRS("trace_id"), STRS(bad_utf8), 0, PROMC_EVALUE},
      {c, 1, 1, STRS("trace_id"), STRS(overlong), 0, PROMC_EVALUE},
      {c, 1, 1, STRS("trace_id"), STRS(surrogate), 0, PROMC_EVALUE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double before = cases[i].c ? promc_counter_get(cases[i].c) : 0;
    int rc = promc_counter_add_exemplar(cases[i].c, cases[i].v, cases[i].n, cases[i].names, cases[i].values,
                                        cases[i].ts);
    if (rc != cases[i].want) fail_msg("case %zu: got %d, want %d", i, rc, cases[i].want);
    if (rc && cases[i].c && promc_metric_type(PROMC_METRIC(cases[i].c)) == PROMC_TYPE_COUNTER)
      assert_true(promc_counter_get(cases[i].c) == before);
  }
  assert_int_equal(promc_counter_add_exemplar(c, 1, 1, STRS("trace_id"), STRS(s128), 0), 0);
  assert_int_equal(promc_histogram_observe_exemplar(h, 1, 1, STRS("trace_id"), STRS(s129), 0), PROMC_EVALUE);
  assert_int_equal(promc_histogram_observe_exemplar((promc_histogram *)c, 1, 0, NULL, NULL, 0), PROMC_ETYPE);
  uint64_t count = 9;
  assert_int_equal(promc_histogram_get(h, NULL, 0, &count, NULL), 0);
  assert_int_equal(count, 0);
  assert_int_equal(promc_histogram_observe_exemplar(h, 1, 1, STRS("trace_id"), STRS(s128), 0), 0);
  assert_int_equal(promc_histogram_get(h, NULL, 0, &count, NULL), 0);
  assert_int_equal(count, 1);
  promc_registry_free(r);
}

/* The latest exemplar wins; reset and remove/revive forget it. */
static void exemplar_latest_reset_and_revive(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "c", .help = "", .registry = r, .exemplars = 1,
                                                       PROMC_LABEL_NAMES("k")}),
                   0);
  promc_counter *a = promc_counter_labels(c, "a");
  assert_int_equal(promc_counter_inc_exemplar(a, NV("trace_id"), STRS("one")), 0);
  assert_int_equal(promc_counter_add_exemplar(a, 2, NV("trace_id"), STRS("two"), 5), 0);
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_OPENMETRICS, NULL, &b), 0);
  assert_non_null(strstr(b.data, "c_total{k=\"a\"} 3 # {trace_id=\"two\"} 2 5\n"));
  assert_int_equal(promc_counter_reset(a), 0);
  b.len = 0;
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_OPENMETRICS, NULL, &b), 0);
  assert_non_null(strstr(b.data, "c_total{k=\"a\"} 0\n"));
  assert_int_equal(promc_counter_inc_exemplar(a, NV("trace_id"), STRS("three")), 0);
  assert_int_equal(promc_metric_remove(c, "a"), 0);
  assert_true(promc_counter_labels(c, "a") == a);
  b.len = 0;
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_OPENMETRICS, NULL, &b), 0);
  assert_non_null(strstr(b.data, "c_total{k=\"a\"} 0\n"));
  assert_null(strstr(b.data, "three"));
  /* the text format 0.0.4 has no exemplars */
  assert_int_equal(promc_counter_inc_exemplar(a, NV("trace_id"), STRS("four")), 0);
  b.len = 0;
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b), 0);
  assert_null(strstr(b.data, "four"));
  assert_non_null(strstr(b.data, "c_total{k=\"a\"} 1\n"));
  promc_buf_free(&b);
  promc_registry_free(r);
}

/* Timestamps (exemplar ts, _created) take a fast exact path in the
 * OpenMetrics writer: each must read back to the very same double, and be
 * no longer than the general shortest formatter's text. */
static void exemplar_timestamps_read_back_exactly(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "c", .help = "", .registry = r, .exemplars = 1}), 0);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  promc_buf b = {0};
  for (int i = 0; i < 20000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    double ts;
    switch (i % 6) {
      case 0: ts = 8388608.0 + (double)(x % 10000000000ull) / 1.0; break;          /* integers */
      case 1: ts = 1.6e9 + (double)(x % 400000000000000ull) / 1e6; break;          /* microseconds */
      case 2: ts = (double)(x >> 11) / (double)(1ull << 53) * 1e10; break;          /* anything below 1e10 */
      case 3: ts = promc_wall_seconds() + (double)(x % 1000) / 1000.0; break;
      case 4: ts = nextafter(8388608.0 + (double)(x % 1000), i & 8 ? 0 : INFINITY); break;
      default: ts = (double)(x % 100000) / 7.0 + 1e-3; break;                       /* the general path */
    }
    if (i == 0) ts = 8388608.0;
    if (i == 1) ts = nextafter(1e10, 0);
    if (i == 2) ts = 1620000000.123;
    assert_int_equal(promc_counter_add_exemplar(c, 1, 0, NULL, NULL, ts), 0);
    b.len = 0;
    assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_OPENMETRICS, NULL, &b), 0);
    const char *p = strstr(b.data, "# {} 1 ");
    assert_non_null(p);
    p += 7;
    char *end;
    double back = strtod(p, &end);
    if (back != ts) fail_msg("ts %.17g written as %.*s", ts, (int)(end - p), p);
    char ref[32];
    size_t reflen = promc_format_double(ts, ref);
    if ((size_t)(end - p) > reflen) fail_msg("ts %.17g written as %.*s, longer than %s", ts, (int)(end - p), p, ref);
  }
  /* the documented example */
  assert_int_equal(promc_counter_add_exemplar(c, 1, 0, NULL, NULL, 1620000000.123), 0);
  b.len = 0;
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_OPENMETRICS, NULL, &b), 0);
  assert_non_null(strstr(b.data, "# {} 1 1620000000.123\n"));
  promc_buf_free(&b);
  promc_registry_free(r);
}

/* Every format prints a number with the same digits: an exemplar's
 * timestamp in OpenMetrics as a gauge value in the text format (the
 * shortest form, and of those the nearest), and the canonical le values of
 * OpenMetrics as Go's strconv.FormatFloat(v, 'g', -1, 64) writes them. */
static void one_digit_formatter_for_every_format(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_counter *c;
  promc_gauge *g;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "c", .help = "", .registry = r, .exemplars = 1}), 0);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "g", .help = "", .registry = r}), 0);
  promc_buf b = {0};
  uint64_t x = 0x2545f4914f6cdd1dull;
  for (int i = 0; i < 3000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    double ts = 8388608.0 + (double)(x >> 11) / (double)(1ull << 53) * (1e10 - 8388608.0);
    if (i == 0) ts = 360216821.50432163; /* 17 digits; ...64 reads back too but is farther */
    assert_int_equal(promc_counter_add_exemplar(c, 1, 0, NULL, NULL, ts), 0);
    promc_gauge_set(g, ts);
    b.len = 0;
    assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_OPENMETRICS, NULL, &b), 0);
    const char *p = strstr(b.data, "# {} 1 ");
    assert_non_null(p);
    p += 7;
    char om[40];
    size_t n = strcspn(p, "\n");
    assert_true(n < sizeof om);
    memcpy(om, p, n);
    om[n] = 0;
    b.len = 0;
    assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b), 0);
    p = strstr(b.data, "\ng ");
    assert_non_null(p);
    p += 3;
    if (strncmp(p, om, n) != 0 || p[n] != '\n')
      fail_msg("%.17g: OpenMetrics timestamp %s, text value %.*s", ts, om, (int)strcspn(p, "\n"), p);
  }
  static const struct {
    double le;
    const char *text, *om;
  } cases[] = {
      {0x1p-44, "5.684341886080802e-14", "5.684341886080802e-14"}, /* a power of two: 16 digits, not 17 */
      {0.25, "0.25", "0.25"},
      {1, "1", "1.0"},
      {123456, "123456", "123456.0"},
      {1e6, "1000000", "1e+06"},
      {1234567.5, "1234567.5", "1.2345675e+06"},
      {1e-5, "1e-05", "1e-05"},
      {1e15, "1e+15", "1e+15"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char name[16];
    snprintf(name, sizeof name, "h%zu", i);
    promc_histogram *h;
    assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = name, .help = "", .registry = r,
                                                           .buckets = &cases[i].le, .nbuckets = 1}), 0);
    char want[96];
    b.len = 0;
    assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b), 0);
    snprintf(want, sizeof want, "%s_bucket{le=\"%s\"} 0\n", name, cases[i].text);
    if (!strstr(b.data, want)) fail_msg("text: no %s", want);
    b.len = 0;
    assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_OPENMETRICS, NULL, &b), 0);
    snprintf(want, sizeof want, "%s_bucket{le=\"%s\"} 0\n", name, cases[i].om);
    if (!strstr(b.data, want)) fail_msg("OpenMetrics: no %s", want);
  }
  promc_buf_free(&b);
  promc_registry_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(mixed_registry_read_back_by_client_python),
      cmocka_unit_test(mixed_registry_decoded_by_protoc),
      cmocka_unit_test(openmetrics_layout_is_exact),
      cmocka_unit_test(sums_that_are_no_counter_are_left_out),
      cmocka_unit_test(gauge_histogram_text_has_gauge_families),
      cmocka_unit_test(exemplar_errors_leave_the_value_unchanged),
      cmocka_unit_test(exemplar_latest_reset_and_revive),
      cmocka_unit_test(exemplar_timestamps_read_back_exactly),
      cmocka_unit_test(one_digit_formatter_for_every_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
