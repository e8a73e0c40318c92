/* SPDX-License-Identifier: Apache-2.0 */
/* test_pushers.c — gzip and protobuf push bodies, extra headers, the import
 * push, the background pusher, and the Graphite bridge.
 *
 *   test_pushers            unit: an in-process HTTP/TCP recorder on 127.0.0.1
 *   test_pushers --threads  the background-thread tests alone (TSan, stress)
 *   test_pushers --gateway  integration: a real prometheus-pushgateway
 *   test_pushers --carbon   integration: a real carbon-cache, read back with
 *                           whisper-fetch
 * Every wait is bounded; the programs started are stopped by their PID. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <zlib.h>

#include "batch_util.h"
#include "promc/push.h"

/* ---------------------------------------------------------------- recorder */
/* Accepts connections until stopped, reads each request whole (headers and
 * Content-Length bytes of body, or everything up to EOF for raw TCP), keeps
 * it with its arrival time, and answers `status` when http is set. */
enum { MAX_REC = 64 };
struct rec {
  double t;
  char *data;
  size_t len;
};
struct recorder {
  struct bu_server srv;
  int http, status;
  pthread_mutex_t mu;
  struct rec recs[MAX_REC];
  int n;
};

static void read_one(struct recorder *r, int c) {
  size_t len;
  char *buf = bu_read_request(c, r->http, &len);
  if (!buf) return;
  if (r->http) {
    char ans[160];
    int n = snprintf(ans, sizeof ans, "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", r->status);
    if (write(c, ans, (size_t)n) < 0) {
    }
  }
  pthread_mutex_lock(&r->mu);
  if (r->n < MAX_REC) {
    r->recs[r->n].t = bu_now();
    r->recs[r->n].data = buf;
    r->recs[r->n].len = len;
    r->n++;
    buf = NULL;
  }
  pthread_mutex_unlock(&r->mu);
  free(buf);
}

static void *rec_main(void *arg) {
  struct recorder *r = arg;
  for (;;) {
    struct pollfd p[2] = {{.fd = r->srv.lfd, .events = POLLIN}, {.fd = r->srv.stop[0], .events = POLLIN}};
    if (poll(p, 2, 30000) <= 0 || p[1].revents) return NULL;
    int c = accept(r->srv.lfd, NULL, NULL);
    if (c < 0) continue;
    read_one(r, c);
    close(c);
  }
}

static void rec_start(struct recorder *r, int http, int status) {
  memset(r, 0, sizeof *r);
  r->http = http;
  r->status = status;
  pthread_mutex_init(&r->mu, NULL);
  bu_server_start(&r->srv, 16, rec_main, r);
}

static int rec_count(struct recorder *r) {
  pthread_mutex_lock(&r->mu);
  int n = r->n;
  pthread_mutex_unlock(&r->mu);
  return n;
}

static void rec_stop(struct recorder *r) { bu_server_stop(&r->srv); }

/* After rec_stop, once the records have been looked at. */
static void rec_free(struct recorder *r) {
  for (int i = 0; i < r->n; i++) free(r->recs[i].data);
  pthread_mutex_destroy(&r->mu);
}

static const char *body_of(const struct rec *q, size_t *len) {
  const char *h = memmem(q->data, q->len, "\r\n\r\n", 4);
  assert_non_null(h);
  *len = q->len - (size_t)(h + 4 - q->data);
  return h + 4;
}

static int has_header(const struct rec *q, const char *line) {
  char want[512];
  snprintf(want, sizeof want, "\r\n%s\r\n", line);
  const char *h = memmem(q->data, q->len, "\r\n\r\n", 4);
  return h && memmem(q->data, (size_t)(h + 2 - q->data), want, strlen(want)) != NULL;
}

/* ----------------------------------------------------------------- fixtures */
struct reg {
  promc_registry *r;
  promc_counter *c, *c_get;
  promc_gauge *g;
  promc_histogram *h;
  promc_summary *s;
};

/* A registry with each kind of family, labels that sort after "job" (the
 * Pushgateway adds instance and job and sorts), values exact in binary and
 * not (0.1), large and small. */
static void reg_make(struct reg *x) {
  static const char *const lbl[] = {"method", "path"};
  static const double b[] = {0.1, 0.5, 2};
  assert_int_equal(promc_registry_new(&x->r), 0);
  assert_int_equal(promc_counter_new(&x->c, &(promc_opts){.name = "pt_requests", .help = "Requests.",
                                                          .label_names = lbl, .nlabel_names = 2, .registry = x->r}),
                   0);
  x->c_get = promc_counter_labels(x->c, "GET", "/a b/ü");
  promc_counter_add(x->c_get, 41.5);
  promc_counter_add(promc_counter_labels(x->c, "POST", "/"), 1e21);
  assert_int_equal(promc_gauge_new(&x->g, &(promc_opts){.name = "pt_temperature", .help = "A gauge.", .registry = x->r}),
                   0);
  promc_gauge_set(x->g, -0.1);
  assert_int_equal(promc_histogram_new(&x->h, &(promc_opts){.name = "pt_latency_seconds", .help = "Latency.",
                                                            .buckets = b, .nbuckets = 3, .registry = x->r}),
                   0);
  const double obs[] = {0.05, 0.3, 0.3, 1.7, 9};
  for (size_t i = 0; i < 5; i++) promc_histogram_observe(x->h, obs[i]);
  assert_int_equal(promc_summary_new(&x->s, &(promc_opts){.name = "pt_size_bytes", .help = "Sizes.", .registry = x->r}),
                   0);
  promc_summary_observe(x->s, 1e-7);
  promc_summary_observe(x->s, 123456789);
}

static char *gunzip(const char *in, size_t len, size_t *out_len) {
  z_stream z = {0};
  assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
  size_t cap = 1 << 20;
  char *out = malloc(cap);
  assert_non_null(out);
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)len;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)cap - 1;
  assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
  *out_len = z.total_out;
  out[z.total_out] = 0;
  inflateEnd(&z);
  return out;
}

/* ------------------------------------------------------------ unit: bodies */
static void bodies_are_gzip_protobuf_with_headers(void **state) {
  (void)state;
  struct reg x;
  reg_make(&x);
  const char *hdrs[] = {"Authorization: Bearer s3cr3t.token", "X-Scope-OrgID: tenant-1"};
  struct {
    promc_format f;
    int gzip;
    const char *ct;
  } cases[] = {
      {PROMC_FORMAT_TEXT, 1, "Content-Type: text/plain; version=0.0.4; charset=utf-8"},
      {PROMC_FORMAT_PROTOBUF, 0,
       "Content-Type: application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"},
      {PROMC_FORMAT_PROTOBUF, 1,
       "Content-Type: application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct recorder r;
    rec_start(&r, 1, 200);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", r.srv.port);
    promc_push_opts o = {.registry = x.r, .format = cases[i].f, .gzip = cases[i].gzip, .headers = hdrs,
                         .nheaders = 2, .timeout_ms = 5000};
    int rc = promc_pushadd(url, "j", &o);
    rec_stop(&r);
    if (rc) fail_msg("case %zu: %s", i, promc_errmsg());
    assert_int_equal(r.n, 1);
    const struct rec *q = &r.recs[0];
    if (!has_header(q, cases[i].ct)) fail_msg("case %zu: no %s in\n%s", i, cases[i].ct, q->data);
    assert_true(has_header(q, "Authorization: Bearer s3cr3t.token"));
    assert_true(has_header(q, "X-Scope-OrgID: tenant-1"));
    assert_int_equal(has_header(q, "Content-Encoding: gzip"), cases[i].gzip);
    size_t blen, want_len, got_len;
    const char *b = body_of(q, &blen);
    assert_int_equal(blen, bu_content_length(q->data));
    char *want = bu_render_fmt(x.r, cases[i].f, &want_len);
    char *got = cases[i].gzip ? gunzip(b, blen, &got_len) : NULL;
    if (got) {
      assert_true(blen < want_len); /* it did compress */
    } else {
      got_len = blen;
    }
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got ? got : b, want, want_len);
    free(got);
    free(want);
    rec_free(&r);
  }
  promc_registry_free(x.r);
}

static void import_posts_to_the_url_as_given(void **state) {
  (void)state;
  struct reg x;
  reg_make(&x);
  struct recorder r;
  rec_start(&r, 1, 204);
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/import/prometheus?extra_label=instance=batch-1", r.srv.port);
  int rc = promc_push_import(url, &(promc_push_opts){.registry = x.r, .gzip = 1});
  rec_stop(&r);
  if (rc) fail_msg("%s", promc_errmsg());
  assert_int_equal(promc_push_last_status(), 204);
  assert_int_equal(r.n, 1);
  const char *line = "POST /api/v1/import/prometheus?extra_label=instance=batch-1 HTTP/1.1\r\n";
  assert_memory_equal(r.recs[0].data, line, strlen(line));
  assert_true(has_header(&r.recs[0], "Content-Encoding: gzip"));
  rec_free(&r);
  promc_registry_free(x.r);
}

static void bad_body_options_are_einval(void **state) {
  (void)state;
  const char *bad[][1] = {{"NoColon"},           {": empty name"},          {"Bad Name: x"},
                          {"X-A: one\r\nX-B: 2"}, {"Content-Type: text/x"}, {"content-encoding: br"},
                          {NULL}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = promc_push("http://127.0.0.1:9", "j", &(promc_push_opts){.headers = bad[i], .nheaders = 1});
    if (rc != PROMC_EINVAL) fail_msg("header %zu: %s (%s)", i, promc_errname(rc), promc_errmsg());
    assert_non_null(strstr(promc_errmsg(), "header"));
  }
  assert_int_equal(promc_push("http://127.0.0.1:9", "j", &(promc_push_opts){.nheaders = 1}), PROMC_EINVAL);
  assert_int_equal(promc_push("http://127.0.0.1:9", "j", &(promc_push_opts){.format = PROMC_FORMAT_OPENMETRICS}),
                   PROMC_EINVAL);
  assert_non_null(strstr(promc_errmsg(), "text or protobuf"));
  assert_int_equal(promc_push("http://127.0.0.1:9", "j", &(promc_push_opts){.format = (promc_format)7}), PROMC_EINVAL);
  assert_int_equal(promc_push("http://127.0.0.1:9", "j", &(promc_push_opts){.gzip = 2}), PROMC_EINVAL);
  const char *gn[] = {"instance"}, *gv[] = {"x"};
  assert_int_equal(promc_push_import("http://127.0.0.1:9/api/v1/import/prometheus",
                                     &(promc_push_opts){PROMC_PUSH_GROUPING(gn, gv)}),
                   PROMC_EINVAL);
  assert_non_null(strstr(promc_errmsg(), "grouping"));
  assert_int_equal(promc_push_import("ftp://127.0.0.1:9/x", NULL), PROMC_EINVAL);
  assert_int_equal(promc_push_import("", NULL), PROMC_EINVAL);
  assert_int_equal(promc_push_import(NULL, NULL), PROMC_EINVAL);
}

/* -------------------------------------------------------- unit: the pusher */
struct results {
  pthread_mutex_t mu;
  int n, fails;
  int last_rc;
};

static void on_result(void *user, int rc, long status, const char *msg) {
  struct results *res = user;
  pthread_mutex_lock(&res->mu);
  res->n++;
  res->last_rc = rc;
  if (rc) res->fails++;
  if (rc == 0 && (status < 200 || status > 299 || *msg)) res->fails += 1000; /* impossible on success */
  pthread_mutex_unlock(&res->mu);
}

static void pusher_pushes_every_interval_and_at_stop(void **state) {
  (void)state;
  struct reg x;
  reg_make(&x);
  struct recorder r;
  rec_start(&r, 1, 200);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", r.srv.port);
  struct results res = {.mu = PTHREAD_MUTEX_INITIALIZER};
  const char *gn[] = {"instance"}, *gv[] = {"w/1"};
  char tok[] = "Authorization: Bearer abc";
  const char *hdrs[] = {tok};
  promc_pusher_opts po = {.url = url, .job = "periodic", .method = PROMC_PUSH_POST, .interval_ms = 300,
                          .push = {.registry = x.r, .gzip = 1, .headers = hdrs, .nheaders = 1, .timeout_ms = 2000,
                                   PROMC_PUSH_GROUPING(gn, gv)},
                          .on_result = on_result, .user = &res};
  promc_pusher *p;
  double t0 = bu_now();
  assert_int_equal(promc_pusher_start(&p, &po), 0);
  tok[0] = 'X'; /* the pusher copied the options */
  for (int i = 0; i < 80 && rec_count(&r) < 5; i++) bu_sleep_ms(50);
  promc_counter_add(x.c_get, 1000); /* after the last periodic push seen */
  int periodic = rec_count(&r);
  double tstop = bu_now();
  int rc = promc_pusher_stop(p);
  if (rc) fail_msg("final push: %s", promc_errmsg());
  assert_int_equal(promc_push_last_status(), 200); /* set on this thread */
  rec_stop(&r);
  assert_true(periodic >= 5);
  assert_true(r.n == periodic + 1 || r.n == periodic + 2); /* a tick may fall between count and stop */
  /* the pushes came at 300 ms steps from start, the first one interval in
   * (each in its own slot: late by less than an interval, loaded machines) */
  for (int i = 0; i < 5; i++) {
    double want = t0 + 0.3 * (i + 1), got = r.recs[i].t;
    if (got < want - 0.01 || got > want + 0.25) fail_msg("push %d at %+.3f s, expected %+.3f s", i, got - t0, want - t0);
  }
  const struct rec *last = &r.recs[r.n - 1];
  assert_true(last->t >= tstop);
  const char *line = "POST /metrics/job/periodic/instance@base64/dy8x HTTP/1.1\r\n";
  assert_memory_equal(last->data, line, strlen(line));
  assert_true(has_header(last, "Authorization: Bearer abc"));
  size_t blen, tlen, glen;
  const char *b = body_of(last, &blen);
  char *text = gunzip(b, blen, &glen);
  char *want = bu_render_fmt(x.r, PROMC_FORMAT_TEXT, &tlen);
  assert_string_equal(text, want); /* the final push has the last increment */
  assert_non_null(strstr(text, "pt_requests_total{method=\"GET\",path=\"/a b/ü\"} 1041.5\n"));
  free(text);
  free(want);
  assert_int_equal(res.n, r.n);
  assert_int_equal(res.fails, 0);
  rec_free(&r);
  promc_registry_free(x.r);
}

static void pusher_counts_failures_and_can_skip_final(void **state) {
  (void)state;
  struct reg x;
  reg_make(&x);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", bu_free_port());
  struct results res = {.mu = PTHREAD_MUTEX_INITIALIZER};
  promc_pusher *p;
  assert_int_equal(promc_pusher_start(&p, &(promc_pusher_opts){.url = url, .job = "j", .interval_ms = 50,
                                                              .push = {.registry = x.r, .timeout_ms = 1000},
                                                              .no_final_push = 1, .on_result = on_result,
                                                              .user = &res}),
                   0);
  promc_push_stats st;
  for (int i = 0; i < 100; i++) {
    assert_int_equal(promc_pusher_stats(p, &st), 0);
    if (st.failures >= 3) break;
    bu_sleep_ms(20);
  }
  assert_true(st.failures >= 3);
  assert_int_equal(st.pushes, st.failures);
  assert_int_equal(st.last_rc, PROMC_ENET);
  assert_int_equal(st.last_status, 0);
  if (!strstr(st.last_error, url)) fail_msg("last_error: %s", st.last_error);
  assert_int_equal(promc_pusher_stop(p), 0); /* no final push */
  pthread_mutex_lock(&res.mu);
  assert_true(res.n >= 3 && res.fails == res.n && res.last_rc == PROMC_ENET);
  pthread_mutex_unlock(&res.mu);

  /* a final push that fails is the result of stop */
  assert_int_equal(promc_pusher_start(&p, &(promc_pusher_opts){.url = url, .job = "j", .interval_ms = 60000,
                                                              .push = {.registry = x.r, .timeout_ms = 1000}}),
                   0);
  assert_int_equal(promc_pusher_stop(p), PROMC_ENET);
  assert_non_null(strstr(promc_errmsg(), url));
  promc_registry_free(x.r);
}

static void pusher_rejects_bad_options(void **state) {
  (void)state;
  promc_pusher *p = (promc_pusher *)1;
  const char *bad_hdr[] = {"nope"};
  const char *gn[] = {"job"}, *gv[] = {"x"};
  struct {
    const char *what;
    promc_pusher_opts o;
  } cases[] = {
      {"no url", {.job = "j"}},
      {"no job", {.url = "http://h"}},
      {"job with import", {.url = "http://h/api/v1/import/prometheus", .job = "j", .method = PROMC_PUSH_IMPORT}},
      {"import not http", {.url = "h:1", .method = PROMC_PUSH_IMPORT}},
      {"method", {.url = "http://h", .job = "j", .method = (promc_push_method)3}},
      {"interval", {.url = "http://h", .job = "j", .interval_ms = -1}},
      {"timeout", {.url = "http://h", .job = "j", .push = {.timeout_ms = -5}}},
      {"header", {.url = "http://h", .job = "j", .push = {.headers = bad_hdr, .nheaders = 1}}},
      {"grouping", {.url = "http://h", .job = "j", .push = {PROMC_PUSH_GROUPING(gn, gv)}}},
      {"format", {.url = "http://h", .job = "j", .push = {.format = PROMC_FORMAT_OPENMETRICS}}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    p = (promc_pusher *)1;
    int rc = promc_pusher_start(&p, &cases[i].o);
    if (rc != PROMC_EINVAL) fail_msg("%s: %s", cases[i].what, promc_errname(rc));
    assert_null(p);
    assert_true(strlen(promc_errmsg()) > 0);
  }
  assert_int_equal(promc_pusher_start(NULL, &cases[0].o), PROMC_EINVAL);
  assert_int_equal(promc_pusher_start(&p, NULL), PROMC_EINVAL);
  assert_int_equal(promc_pusher_stop(NULL), PROMC_EINVAL);
  promc_push_stats st;
  assert_int_equal(promc_pusher_stats(NULL, &st), PROMC_EINVAL);
}

/* ---------------------------------------------------------- unit: graphite */
static void graphite_names_as_client_python(void **state) {
  (void)state;
  struct reg x;
  reg_make(&x);
  promc_buf b = {0};
  assert_int_equal(promc_graphite_render(&b, &(promc_graphite_opts){.registry = x.r, .timestamp = 1700000000}), 0);
  assert_int_equal(promc_buf_write(&b, "", 1), 0);
  /* client_python's GraphiteBridge on the same samples (labels sorted,
   * [^a-zA-Z0-9_-] -> "_", "ü" one character), our exact value text */
  const char *want =
      "pt_requests_total.method.GET.path._a_b__ 41.5 1700000000\n"
      "pt_requests_total.method.POST.path._ 1e+21 1700000000\n"
      "pt_temperature -0.1 1700000000\n"
      "pt_latency_seconds_bucket.le.0_1 1 1700000000\n"
      "pt_latency_seconds_bucket.le.0_5 3 1700000000\n"
      "pt_latency_seconds_bucket.le.2_0 4 1700000000\n"
      "pt_latency_seconds_bucket.le._Inf 5 1700000000\n"
      "pt_latency_seconds_count 5 1700000000\n"
      "pt_latency_seconds_sum 11.35 1700000000\n"
      "pt_size_bytes_count 2 1700000000\n"
      "pt_size_bytes_sum 123456789.0000001 1700000000\n";
  if (strcmp(b.data, want) != 0) fail_msg("got:\n%s\nwant:\n%s", b.data, want);
  b.len = 0;
  assert_int_equal(promc_graphite_render(&b, &(promc_graphite_opts){.registry = x.r, .timestamp = 5, .tags = 1,
                                                                    .prefix = "site.host-1"}),
                   0);
  assert_int_equal(promc_buf_write(&b, "", 1), 0);
  assert_non_null(strstr(b.data, "site.host-1.pt_requests_total;method=GET;path=_a_b__ 41.5 5\n"));
  assert_non_null(strstr(b.data, "site.host-1.pt_temperature -0.1 5\n"));
  assert_non_null(strstr(b.data, "site.host-1.pt_latency_seconds_bucket;le=_Inf 5 5\n"));
  /* labels given in another order come out sorted; escapes decoded first */
  promc_registry *r2;
  assert_int_equal(promc_registry_new(&r2), 0);
  const char *ln[] = {"zone", "app"};
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "up2", .help = "h", .label_names = ln, .nlabel_names = 2,
                                                     .registry = r2}),
                   0);
  promc_gauge_set(promc_gauge_labels(g, "a\"b\\c\nd", "x.y"), 1);
  b.len = 0;
  assert_int_equal(promc_graphite_render(&b, &(promc_graphite_opts){.registry = r2, .timestamp = 9}), 0);
  assert_int_equal(promc_buf_write(&b, "", 1), 0);
  assert_string_equal(b.data, "up2.app.x_y.zone.a_b_c_d 1 9\n");
  /* le spelt as client_python's floatToGoString (values from its own run) */
  static const double bk[] = {1e-7, 0.0001, 0.00012, 2, 100000, 123456.7, 1e6, 1234567.5, 1e10, 1e16, 1e21};
  promc_histogram *hh;
  assert_int_equal(promc_histogram_new(&hh, &(promc_opts){.name = "hh", .help = "h", .buckets = bk, .nbuckets = 11,
                                                          .registry = r2}),
                   0);
  b.len = 0;
  assert_int_equal(promc_graphite_render(&b, &(promc_graphite_opts){.registry = r2, .timestamp = 9}), 0);
  assert_int_equal(promc_buf_write(&b, "", 1), 0);
  const char *les[] = {"1e-07", "0_0001", "0_00012", "2_0", "100000_0", "123456_7", "1e_06", "1_2345675e_06",
                       "1e_010", "1e_16", "1e_21", "_Inf"};
  for (size_t i = 0; i < 12; i++) {
    char want_line[64];
    snprintf(want_line, sizeof want_line, "\nhh_bucket.le.%s 0 9\n", les[i]);
    if (!strstr(b.data, want_line)) fail_msg("no%sin\n%s", want_line, b.data);
  }
  promc_buf_free(&b);
  promc_registry_free(r2);
  promc_registry_free(x.r);
}

static void graphite_push_sends_the_render(void **state) {
  (void)state;
  struct reg x;
  reg_make(&x);
  struct recorder r;
  rec_start(&r, 0, 0);
  char port[16];
  snprintf(port, sizeof port, "%d", r.srv.port);
  promc_graphite_opts o = {.registry = x.r, .prefix = "p", .timestamp = 1700000001};
  assert_int_equal(promc_graphite_push("127.0.0.1", port, &o), 0);
  for (int i = 0; i < 100 && rec_count(&r) < 1; i++) bu_sleep_ms(20);
  rec_stop(&r);
  assert_int_equal(r.n, 1);
  promc_buf want = {0};
  assert_int_equal(promc_graphite_render(&want, &o), 0);
  assert_int_equal(r.recs[0].len, want.len);
  assert_memory_equal(r.recs[0].data, want.data, want.len);
  rec_free(&r);
  promc_buf_free(&want);
  promc_registry_free(x.r);
}

static void graphite_errors(void **state) {
  (void)state;
  struct reg x;
  reg_make(&x);
  char port[16];
  snprintf(port, sizeof port, "%d", bu_free_port());
  double t0 = bu_now();
  assert_int_equal(promc_graphite_push("127.0.0.1", port, &(promc_graphite_opts){.registry = x.r}), PROMC_ENET);
  if (!strstr(promc_errmsg(), "Connection refused")) fail_msg("errmsg: %s", promc_errmsg());
  assert_true(bu_now() - t0 < 1.0);
  assert_int_equal(promc_graphite_push("no-such-host.invalid", "2003", &(promc_graphite_opts){.registry = x.r}),
                   PROMC_ENET);
  assert_non_null(strstr(promc_errmsg(), "resolve"));
  assert_int_equal(promc_graphite_push("", "2003", NULL), PROMC_EINVAL);
  assert_int_equal(promc_graphite_push("h", NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_graphite_push("h", "1", &(promc_graphite_opts){.prefix = "a b"}), PROMC_EINVAL);
  assert_int_equal(promc_graphite_push("h", "1", &(promc_graphite_opts){.tags = 3}), PROMC_EINVAL);
  assert_int_equal(promc_graphite_push("h", "1", &(promc_graphite_opts){.timeout_ms = -1}), PROMC_EINVAL);
  assert_int_equal(promc_graphite_render(NULL, NULL), PROMC_EINVAL);
  promc_graphite *g = (promc_graphite *)1;
  assert_int_equal(promc_graphite_start(&g, "h", "1", -1, NULL, NULL, NULL), PROMC_EINVAL);
  assert_null(g);
  assert_int_equal(promc_graphite_stop(NULL), PROMC_EINVAL);

  /* a server that never reads: the send times out once the buffers are full */
  promc_registry *big;
  assert_int_equal(promc_registry_new(&big), 0);
  const char *ln[] = {"id"};
  promc_gauge *bg;
  assert_int_equal(promc_gauge_new(&bg, &(promc_opts){.name = "big", .help = "h", .label_names = ln, .nlabel_names = 1,
                                                      .registry = big}),
                   0);
  for (int i = 0; i < 200000; i++) {
    char v[32];
    snprintf(v, sizeof v, "series-%d-padding-padding", i);
    promc_gauge_set(promc_gauge_labels(bg, v), i);
  }
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int small = 4096;
  setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(lfd, 4), 0);
  assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
  snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
  promc_buf lines = {0};
  t0 = bu_now();
  assert_int_equal(promc_graphite_render(&lines, &(promc_graphite_opts){.registry = big}), 0);
  double render_s = bu_now() - t0;
  promc_buf_free(&lines);
  t0 = bu_now();
  int rc = promc_graphite_push("127.0.0.1", port, &(promc_graphite_opts){.registry = big, .timeout_ms = 300});
  double dt = bu_now() - t0;
  close(lfd);
  if (rc != PROMC_ETIMEOUT) fail_msg("%s: %s", promc_errname(rc), promc_errmsg());
  assert_non_null(strstr(promc_errmsg(), "timed out after"));
  if (dt - render_s > 2.0) fail_msg("a 300 ms timeout took %.3f s beyond the %.3f s render", dt - render_s, render_s);
  print_message("receiver that never reads: PROMC_ETIMEOUT %.3f s after a %.3f s render (timeout 0.300 s)\n",
                dt - render_s, render_s);
  promc_registry_free(big);
  promc_registry_free(x.r);
}

static void on_graphite(void *user, int rc, long status, const char *msg) {
  struct results *res = user;
  pthread_mutex_lock(&res->mu);
  res->n++;
  if (rc || status || *msg) res->fails++;
  pthread_mutex_unlock(&res->mu);
}

static void graphite_periodic_and_final(void **state) {
  (void)state;
  struct reg x;
  reg_make(&x);
  struct recorder r;
  rec_start(&r, 0, 0);
  char port[16];
  snprintf(port, sizeof port, "%d", r.srv.port);
  struct results res = {.mu = PTHREAD_MUTEX_INITIALIZER};
  promc_graphite *g;
  double t0 = bu_now();
  assert_int_equal(promc_graphite_start(&g, "127.0.0.1", port, 250, &(promc_graphite_opts){.registry = x.r},
                                        on_graphite, &res),
                   0);
  for (int i = 0; i < 60 && rec_count(&r) < 3; i++) bu_sleep_ms(50);
  promc_gauge_set(x.g, 77.25);
  assert_int_equal(promc_graphite_stop(g), 0);
  for (int i = 0; i < 100 && rec_count(&r) < 4; i++) bu_sleep_ms(20);
  rec_stop(&r);
  assert_true(r.n >= 4);
  /* 250 ms steps from start; each push in its own slot (late by less than
   * an interval, as a loaded machine makes it) */
  for (int i = 0; i < 3; i++) {
    double want = t0 + 0.25 * (i + 1), got = r.recs[i].t;
    if (got < want - 0.01 || got > want + 0.24) fail_msg("push %d at %+.3f s, expected %+.3f s", i, got - t0, want - t0);
  }
  assert_non_null(strstr(r.recs[r.n - 1].data, "\npt_temperature 77.25 "));
  assert_null(strstr(r.recs[0].data, "\npt_temperature 77.25 "));
  assert_int_equal(res.n, r.n);
  assert_int_equal(res.fails, 0);
  rec_free(&r);
  promc_registry_free(x.r);
}

/* ------------------------------------------------------ real Pushgateway */
static struct bu_gateway g_gw = {.pid = -1};

static int gateway_start(void **state) {
  (void)state;
  /* 3 attempts: bounded within ctest's 60 s */
  return bu_gateway_start(&g_gw, "test_pushers --gateway", NULL, 0, 3);
}

static int gateway_stop(void **state) {
  (void)state;
  bu_gateway_stop(&g_gw);
  return 0;
}

static char *gw_get(const char *path) {
  char *body = NULL;
  int st = bu_http(g_gw.port, "GET", path, &body, 5000);
  if (st != 200) fail_msg("GET %s: %d", path, st);
  return body;
}

/* Every sample line of `ours` must be in `theirs` with instance="" and
 * job="<job>" first (the Pushgateway adds them and sorts label names; our
 * label names all sort after "job") and a value that reads back to the same
 * double. Returns the number of samples compared. */
static int expect_readback(const char *ours, const char *theirs, const char *job, const char *where) {
  int n = 0;
  for (const char *line = ours; *line;) {
    const char *eol = strchr(line, '\n');
    size_t len = eol ? (size_t)(eol - line) : strlen(line);
    if (line[0] != '#' && len > 0) {
      const char *sp = memrchr(line, ' ', len);
      const char *brace = memchr(line, '{', (size_t)(sp - line));
      char series[1024];
      if (brace)
        snprintf(series, sizeof series, "%.*s{instance=\"\",job=\"%s\",%.*s", (int)(brace - line), line, job,
                 (int)(sp - brace - 1), brace + 1);
      else
        snprintf(series, sizeof series, "%.*s{instance=\"\",job=\"%s\"}", (int)(sp - line), line, job);
      double want = strtod(sp + 1, NULL), got = bu_sample(theirs, series);
      if (!(got == want)) fail_msg("%s: %s is %.17g, pushed %.17g\n--- pushed:\n%s--- read back:\n%s", where, series, got,
                                   want, ours, theirs);
      n++;
    }
    line = eol ? eol + 1 : line + len;
  }
  return n;
}

/* The group of `job` from the gateway's /api/v1/metrics JSON, as text
 * sample lines (labels sorted, histograms as _bucket/_count/_sum), by a
 * python3 json reader: what the API says, in a form expect_readback reads. */
static char *api_as_text(const char *job) {
  char *json = gw_get("/api/v1/metrics");
  char path[] = "/tmp/promc-api-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(bu_write_file(path, json), 0);
  free(json);
  static const char prog[] =
      "import json,sys\n"
      "d=json.load(open(sys.argv[1]))\n"
      "def ls(l,extra=None):\n"
      "  l=dict(l)\n"
      "  if extra: l.update(extra)\n"
      "  return '{'+','.join('%s=\"%s\"'%(k,l[k]) for k in sorted(l))+'}'\n"
      "def le(k):\n"
      "  f=float(k)\n"
      "  return '+Inf' if f==float('inf') else repr(f)[:-2] if repr(f).endswith('.0') else repr(f)\n"
      "for g in d['data']:\n"
      "  if g['labels'].get('job')!=sys.argv[2]: continue\n"
      "  for name,fam in g.items():\n"
      "    if not isinstance(fam,dict) or 'metrics' not in fam or name.startswith('push_'): continue\n"
      "    for m in fam['metrics']:\n"
      "      if fam['type'] in ('HISTOGRAM','SUMMARY'):\n"
      "        for k,v in sorted(m.get('buckets',{}).items(),key=lambda kv:float(kv[0])):\n"
      "          print('%s_bucket%s %s'%(name,ls(m['labels'],{'le':le(k)}),v))\n"
      "        for k,v in sorted(m.get('quantiles',{}).items(),key=lambda kv:float(kv[0])):\n"
      "          print('%s%s %s'%(name,ls(m['labels'],{'quantile':k}),v))\n"
      "        print('%s_count%s %s'%(name,ls(m['labels']),m['count']))\n"
      "        print('%s_sum%s %s'%(name,ls(m['labels']),m['sum']))\n"
      "      else:\n"
      "        print('%s%s %s'%(name,ls(m['labels']),m['value']))\n";
  char out[] = "/tmp/promc-apitxt-XXXXXX";
  fd = mkstemp(out);
  assert_true(fd >= 0);
  close(fd);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s -c '%s' %s %s > %s", PROMC_PYTHON3, "exec(open(\"/dev/stdin\").read())", path, job,
           out);
  FILE *f = popen(cmd, "w");
  assert_non_null(f);
  fputs(prog, f);
  assert_int_equal(pclose(f), 0);
  char *text = bu_read_file(out);
  unlink(path);
  unlink(out);
  assert_non_null(text);
  return text;
}

static void gateway_gzip_and_protobuf_read_back_exactly(void **state) {
  (void)state;
  struct reg x;
  reg_make(&x);
  size_t len;
  char *ours = bu_render_fmt(x.r, PROMC_FORMAT_TEXT, &len);
  struct {
    const char *job;
    promc_format f;
    int gzip;
  } cases[] = {{"gz_text", PROMC_FORMAT_TEXT, 1}, {"pb", PROMC_FORMAT_PROTOBUF, 0}, {"gz_pb", PROMC_FORMAT_PROTOBUF, 1}};
  for (size_t i = 0; i < 3; i++) {
    int rc = promc_push(g_gw.url, cases[i].job,
                        &(promc_push_opts){.registry = x.r, .format = cases[i].f, .gzip = cases[i].gzip});
    if (rc) fail_msg("%s: %s", cases[i].job, promc_errmsg());
    assert_int_equal(promc_push_last_status(), 200);
  }
  char *metrics = gw_get("/metrics");
  for (size_t i = 0; i < 3; i++) {
    char where[64];
    snprintf(where, sizeof where, "%s /metrics", cases[i].job);
    int n = expect_readback(ours, metrics, cases[i].job, where);
    assert_int_equal(n, 11);
    char *api = api_as_text(cases[i].job);
    snprintf(where, sizeof where, "%s /api/v1/metrics", cases[i].job);
    assert_int_equal(expect_readback(ours, api, cases[i].job, where), 11);
    free(api);
    print_message("%s: 11 samples read back exactly from /metrics and /api/v1/metrics\n", cases[i].job);
  }
  free(metrics);
  free(ours);
  promc_registry_free(x.r);
}

/* push_time_seconds of the group, NAN if absent. */
static double push_time(const char *job) {
  char *m = gw_get("/metrics");
  char series[128];
  snprintf(series, sizeof series, "push_time_seconds{instance=\"\",job=\"%s\"}", job);
  double t = bu_sample(m, series);
  free(m);
  return t;
}

static void gateway_pusher_interval_and_final_push(void **state) {
  (void)state;
  struct reg x;
  reg_make(&x);
  promc_pusher *p;
  assert_int_equal(promc_pusher_start(&p, &(promc_pusher_opts){.url = g_gw.url, .job = "periodic", .interval_ms = 500,
                                                              .push = {.registry = x.r, .gzip = 1,
                                                                       .format = PROMC_FORMAT_PROTOBUF}}),
                   0);
  double seen[16];
  int n = 0;
  double end = bu_now() + 3.0;
  while (bu_now() < end && n < 16) {
    double t = push_time("periodic");
    if (!isnan(t) && (n == 0 || t != seen[n - 1])) seen[n++] = t;
    bu_sleep_ms(25);
  }
  promc_counter_add(x.c_get, 0.25);
  int rc = promc_pusher_stop(p);
  if (rc) fail_msg("final push: %s", promc_errmsg());
  /* the final push is in the gateway when stop returns (PUT applies first) */
  char *m = gw_get("/metrics");
  double v = bu_sample(m, "pt_requests_total{instance=\"\",job=\"periodic\",method=\"GET\",path=\"/a b/ü\"}");
  free(m);
  if (v != 41.75) fail_msg("after stop: %.17g, expected 41.75", v);
  if (n < 5) fail_msg("only %d pushes seen in 3 s at a 500 ms interval", n);
  for (int i = 1; i < n; i++) {
    double d = seen[i] - seen[i - 1];
    if (d < 0.35 || d > 0.65) fail_msg("pushes %d and %d %.3f s apart, interval 0.5 s", i - 1, i, d);
  }
  print_message("%d periodic pushes seen, %.3f s to %.3f s apart; the final one carried the last add\n", n,
                seen[1] - seen[0], seen[n - 1] - seen[n - 2]);

  /* a pusher stopped before its first tick still leaves its figures */
  promc_counter_add(x.c_get, 1);
  assert_int_equal(promc_pusher_start(&p, &(promc_pusher_opts){.url = g_gw.url, .job = "short", .interval_ms = 60000,
                                                              .push = {.registry = x.r}}),
                   0);
  assert_true(isnan(push_time("short")));
  assert_int_equal(promc_pusher_stop(p), 0);
  m = gw_get("/metrics");
  v = bu_sample(m, "pt_requests_total{instance=\"\",job=\"short\",method=\"GET\",path=\"/a b/ü\"}");
  free(m);
  assert_true(v == 42.75);
  promc_registry_free(x.r);
}

/* --------------------------------------------------------- real carbon-cache */
static pid_t g_carbon = -1;
static int g_line_port;
static char g_cdir[64];

static int carbon_start(void **state) {
  (void)state;
  const char *bin = "/usr/bin/carbon-cache";
  if (access(bin, X_OK) != 0 || access("/usr/bin/whisper-fetch", X_OK) != 0) {
    fprintf(stderr, "test_pushers --carbon: carbon-cache or whisper-fetch is missing (Debian packages "
                    "graphite-carbon, python3-whisper; scripts/deps.sh test installs them)\n");
    return -1;
  }
  strcpy(g_cdir, "/tmp/promc-carbon-XXXXXX");
  if (!mkdtemp(g_cdir)) return -1;
  for (int attempt = 0; attempt < 2; attempt++) { /* 2 x 20 s: within ctest's 60 s with the reads */
    g_line_port = bu_free_port();
    char conf[4096], path[128];
    snprintf(conf, sizeof conf,
             "[cache]\nSTORAGE_DIR = %1$s/storage/\nLOCAL_DATA_DIR = %1$s/whisper/\nWHITELISTS_DIR = %1$s/lists/\n"
             "CONF_DIR = %1$s/\nLOG_DIR = %1$s/log/\nPID_DIR = %1$s/\nENABLE_LOGROTATION = False\nUSER =\n"
             "MAX_CACHE_SIZE = inf\nMAX_UPDATES_PER_SECOND = inf\nMAX_CREATES_PER_MINUTE = inf\n"
             "LINE_RECEIVER_INTERFACE = 127.0.0.1\nLINE_RECEIVER_PORT = %2$d\nENABLE_UDP_LISTENER = False\n"
             "PICKLE_RECEIVER_INTERFACE = 127.0.0.1\nPICKLE_RECEIVER_PORT = %3$d\n"
             "CACHE_QUERY_INTERFACE = 127.0.0.1\nCACHE_QUERY_PORT = %4$d\nCARBON_METRIC_INTERVAL = 0\n"
             "WHISPER_AUTOFLUSH = True\n",
             g_cdir, g_line_port, bu_free_port(), bu_free_port());
    snprintf(path, sizeof path, "%s/carbon.conf", g_cdir);
    assert_int_equal(bu_write_file(path, conf), 0);
    snprintf(path, sizeof path, "%s/storage-schemas.conf", g_cdir);
    assert_int_equal(bu_write_file(path, "[all]\npattern = .*\nretentions = 1s:1h\n"), 0);
    char cfg[160];
    snprintf(cfg, sizeof cfg, "--config=%s/carbon.conf", g_cdir);
    char *argv[] = {(char *)bin, cfg, (char *)"--debug", (char *)"start", NULL};
    g_carbon = bu_spawn(argv);
    double end = bu_now() + 20;
    while (bu_now() < end) {
      int st;
      if (waitpid(g_carbon, &st, WNOHANG) == g_carbon) {
        g_carbon = -1;
        break;
      }
      int s = bu_connect(g_line_port, 500);
      if (s >= 0) {
        close(s);
        return 0;
      }
      bu_sleep_ms(100);
    }
    bu_stop(g_carbon);
    g_carbon = -1;
  }
  fprintf(stderr, "test_pushers --carbon: carbon-cache did not start (config in %s)\n", g_cdir);
  return -1;
}

static int carbon_stop(void **state) {
  (void)state;
  bu_stop(g_carbon);
  g_carbon = -1;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", g_cdir);
  if (system(cmd) != 0) {
  }
  return 0;
}

/* The value whisper-fetch --json gives for timestamp ts in the file of the
 * Graphite path, or NAN while there is none. */
static double whisper_value(const char *gpath, long long ts) {
  char file[512], cmd[1024];
  int n = snprintf(file, sizeof file, "%s/whisper/%s.wsp", g_cdir, gpath);
  for (int i = (int)strlen(g_cdir) + 9; i < n; i++)
    if (file[i] == '.' && i < n - 4) file[i] = '/';
  if (access(file, R_OK) != 0) return NAN;
  snprintf(cmd, sizeof cmd, "/usr/bin/whisper-fetch --json --from %lld --until %lld '%s' 2>&1", ts - 1, ts, file);
  FILE *f = popen(cmd, "r");
  if (!f) return NAN;
  char out[4096];
  size_t len = fread(out, 1, sizeof out - 1, f);
  pclose(f);
  out[len] = 0;
  char *v = strstr(out, "\"values\" : [");
  if (!v) return NAN;
  v += 12;
  if (strncmp(v, "null", 4) == 0) return NAN;
  return strtod(v, NULL); /* Python's repr: reads back exactly; "inf" too */
}

static void carbon_receives_every_value_exactly(void **state) {
  (void)state;
  struct reg x;
  reg_make(&x);
  long long ts = (long long)time(NULL);
  promc_graphite_opts o = {.registry = x.r, .prefix = "promc.test", .timestamp = ts};
  char port[16];
  snprintf(port, sizeof port, "%d", g_line_port);
  int rc = promc_graphite_push("localhost", port, &o);
  if (rc) fail_msg("%s", promc_errmsg());
  promc_buf b = {0};
  assert_int_equal(promc_graphite_render(&b, &o), 0);
  assert_int_equal(promc_buf_write(&b, "", 1), 0);
  int n = 0;
  double end = bu_now() + 15; /* for all the values together */
  for (char *line = b.data, *eol; (eol = strchr(line, '\n')); line = eol + 1) {
    *eol = 0;
    char *sp = strchr(line, ' ');
    *sp = 0;
    double want = strtod(sp + 1, NULL), got = NAN;
    for (; isnan(got = whisper_value(line, ts)) && bu_now() < end;) bu_sleep_ms(100);
    if (!(got == want)) fail_msg("%s: whisper-fetch gives %.17g at %lld, pushed %.17g", line, got, ts, want);
    n++;
  }
  assert_int_equal(n, 11);
  print_message("carbon-cache stored all %d values exactly (whisper-fetch)\n", n);
  promc_buf_free(&b);
  promc_registry_free(x.r);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--gateway") == 0) {
    const struct CMUnitTest t[] = {
        cmocka_unit_test(gateway_gzip_and_protobuf_read_back_exactly),
        cmocka_unit_test(gateway_pusher_interval_and_final_push),
    };
    return cmocka_run_group_tests_name("pushgateway", t, gateway_start, gateway_stop);
  }
  if (argc > 1 && strcmp(argv[1], "--carbon") == 0) {
    const struct CMUnitTest t[] = {cmocka_unit_test(carbon_receives_every_value_exactly)};
    return cmocka_run_group_tests_name("carbon", t, carbon_start, carbon_stop);
  }
  if (argc > 1 && strcmp(argv[1], "--threads") == 0) {
    /* the tests with a background thread, for ThreadSanitizer (label stress) */
    const struct CMUnitTest t[] = {
        cmocka_unit_test(pusher_pushes_every_interval_and_at_stop),
        cmocka_unit_test(pusher_counts_failures_and_can_skip_final),
        cmocka_unit_test(graphite_periodic_and_final),
    };
    return cmocka_run_group_tests_name("pusher threads", t, NULL, NULL);
  }
  const struct CMUnitTest t[] = {
      cmocka_unit_test(bodies_are_gzip_protobuf_with_headers),
      cmocka_unit_test(import_posts_to_the_url_as_given),
      cmocka_unit_test(bad_body_options_are_einval),
      cmocka_unit_test(pusher_pushes_every_interval_and_at_stop),
      cmocka_unit_test(pusher_counts_failures_and_can_skip_final),
      cmocka_unit_test(pusher_rejects_bad_options),
      cmocka_unit_test(graphite_names_as_client_python),
      cmocka_unit_test(graphite_push_sends_the_render),
      cmocka_unit_test(graphite_errors),
      cmocka_unit_test(graphite_periodic_and_final),
  };
  return cmocka_run_group_tests_name("pushers", t, NULL, NULL);
}
