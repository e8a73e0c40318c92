/* SPDX-License-Identifier: Apache-2.0 */
/* test_push.c — libpromc-push.
 * Default mode (unit): URL and grouping-key encoding, and the HTTP requests
 * against an in-process stub server on 127.0.0.1 (method, path, headers,
 * body, basic auth, an error status with its message, a silent server
 * timing out, an unreachable port).
 * --gateway (integration): against a real Pushgateway started here
 * (/usr/bin/prometheus-pushgateway on a free 127.0.0.1 port): push replaces
 * the group, pushadd replaces only the pushed families, delete removes the
 * group, grouping values with '/' and empty values round-trip, a 4xx from
 * the gateway carries its message, a stopped gateway gives PROMC_ENET. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <crypt.h>
#include <pthread.h>

#include "batch_util.h"
#include "promc/push.h"

/* ------------------------------------------------------------ URL building */
static void push_url_encoding(void **state) {
  (void)state;
  static const struct {
    const char *url, *job;
    size_t n;
    const char *names[3], *values[3];
    const char *want;
  } cases[] = {
      {"http://h:9091", "batch", 0, {0}, {0}, "http://h:9091/metrics/job/batch"},
      {"http://h:9091///", "batch", 0, {0}, {0}, "http://h:9091/metrics/job/batch"},
      {"http://h/prefix", "a/b", 0, {0}, {0}, "http://h/prefix/metrics/job@base64/YS9i"},
      {"http://h", "j", 1, {"instance"}, {"x/y"}, "http://h/metrics/job/j/instance@base64/eC95"},
      {"http://h", "j", 1, {"env"}, {""}, "http://h/metrics/job/j/env@base64/="},
      {"http://h", "j", 2, {"a", "b"}, {"a/", "ab/"}, "http://h/metrics/job/j/a@base64/YS8=/b@base64/YWIv"},
      /* URL-safe alphabet: 0xfb 0xff -> "-_8=" */
      {"http://h", "j", 1, {"k"}, {"/\xfb\xff"}, "http://h/metrics/job/j/k@base64/L_v_"},
      {"http://h", "j", 1, {"sp"}, {"a b%c+d"}, "http://h/metrics/job/j/sp/a%20b%25c%2Bd"},
      {"http://h", "j", 1, {"u"}, {"\xc3\xbc~._-"}, "http://h/metrics/job/j/u/%C3%BC~._-"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    promc_buf b = {0};
    int rc = promc_push_url(&b, cases[i].url, cases[i].job, cases[i].n, cases[i].names, cases[i].values);
    if (rc != 0) fail_msg("case %zu: %s", i, promc_errmsg());
    assert_non_null(b.data);
    if (strlen(cases[i].want) != b.len || memcmp(b.data, cases[i].want, b.len) != 0 || b.data[b.len] != 0)
      fail_msg("case %zu: got %.*s want %s", i, (int)b.len, b.data, cases[i].want);
    promc_buf_free(&b);
  }
}

static void push_url_rejects_bad_input(void **state) {
  (void)state;
  promc_buf b = {0};
  const char *n1[] = {"job"}, *n2[] = {"__x"}, *n3[] = {"1a"}, *n4[] = {"a", "a"}, *v[] = {"1", "2"};
  const char *nn[] = {NULL}, *vn[] = {NULL};
  assert_int_equal(promc_push_url(&b, "http://h", "j", 1, n1, v), PROMC_EINVAL);
  assert_int_equal(promc_push_url(&b, "http://h", "j", 1, n2, v), PROMC_EINVAL);
  assert_int_equal(promc_push_url(&b, "http://h", "j", 1, n3, v), PROMC_EINVAL);
  assert_int_equal(promc_push_url(&b, "http://h", "j", 2, n4, v), PROMC_EINVAL);
  assert_non_null(strstr(promc_errmsg(), "twice"));
  assert_int_equal(promc_push_url(&b, "http://h", "j", 1, nn, v), PROMC_EINVAL);
  assert_int_equal(promc_push_url(&b, "http://h", "j", 1, n3, vn), PROMC_EINVAL);
  assert_int_equal(promc_push_url(&b, "http://h", "j", 1, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_push_url(&b, "http://h", "", 0, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_push_url(&b, "http://h", NULL, 0, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_push_url(&b, "", "j", 0, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_push_url(&b, "///", "j", 0, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_push_url(NULL, "http://h", "j", 0, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(b.len, 0);
  assert_int_equal(promc_push(NULL, "j", NULL), PROMC_EINVAL);
  assert_int_equal(promc_push_delete("http://h", NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_pushadd("http://127.0.0.1:9", "j", &(promc_push_opts){.timeout_ms = -1}), PROMC_EINVAL);
  promc_buf_free(&b);
}

/* ------------------------------------------------------------- stub server */
enum stub_mode { STUB_OK, STUB_503, STUB_SILENT, STUB_RAW };
struct stub {
  enum stub_mode mode;
  const char *raw; /* STUB_RAW: the bytes sent back before closing */
  struct bu_server srv;
  char req[65536];
  size_t len;
  int got;
};

static void *stub_main(void *arg) {
  struct stub *s = arg;
  struct pollfd p = {.fd = s->srv.lfd, .events = POLLIN};
  if (poll(&p, 1, 10000) != 1) return NULL;
  int c = accept(s->srv.lfd, NULL, NULL);
  if (c < 0) return NULL;
  /* the request: headers, then Content-Length bytes of body */
  size_t n;
  char *req = bu_read_request(c, 1, &n);
  s->len = n < sizeof s->req ? n : sizeof s->req - 1;
  if (req) memcpy(s->req, req, s->len);
  s->req[s->len] = 0;
  free(req);
  s->got = 1;
  const char *ans = NULL;
  if (s->mode == STUB_OK) ans = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  if (s->mode == STUB_503)
    ans = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 26\r\n"
          "Connection: close\r\n\r\ngateway under maintenance\n";
  if (s->mode == STUB_RAW) ans = s->raw;
  if (ans) {
    if (write(c, ans, strlen(ans)) < 0) {
    }
  } else { /* silent: hold the connection until told to stop (bounded) */
    struct pollfd q = {.fd = s->srv.stop[0], .events = POLLIN};
    poll(&q, 1, 10000);
  }
  close(c);
  return NULL;
}

static void stub_start_raw(struct stub *s, enum stub_mode mode, const char *raw) {
  memset(s, 0, sizeof *s);
  s->mode = mode;
  s->raw = raw;
  bu_server_start(&s->srv, 4, stub_main, s);
}

static void stub_start(struct stub *s, enum stub_mode mode) { stub_start_raw(s, mode, NULL); }

static void stub_join(struct stub *s) { bu_server_stop(&s->srv); }

static promc_registry *job_registry(void) {
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "job_last_success_unixtime", .help = "Last success.",
                                                     .registry = r}),
                   0);
  promc_gauge_set(g, 1700000000);
  return r;
}

static void push_requests_have_method_path_headers_body(void **state) {
  (void)state;
  promc_registry *r = job_registry();
  char *body = bu_render(r, NULL);
  const char *names[] = {"instance"}, *values[] = {"x/y"};
  struct {
    const char *method;
    int (*fn)(const char *, const char *, const promc_push_opts *);
  } ops[] = {{"PUT", promc_push}, {"POST", promc_pushadd}, {"DELETE", promc_push_delete}};
  for (size_t i = 0; i < 3; i++) {
    struct stub s;
    stub_start(&s, STUB_OK);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", s.srv.port);
    int rc = ops[i].fn(url, "nightly", &(promc_push_opts){.registry = r, .username = "user", .password = "pass",
                                                          .timeout_ms = 5000, PROMC_PUSH_GROUPING(names, values)});
    stub_join(&s);
    if (rc != 0) fail_msg("%s: %s", ops[i].method, promc_errmsg());
    assert_int_equal(promc_push_last_status(), 200);
    char line[128];
    snprintf(line, sizeof line, "%s /metrics/job/nightly/instance@base64/eC95 HTTP/1.1\r\n", ops[i].method);
    if (strncmp(s.req, line, strlen(line)) != 0) fail_msg("request: %s", s.req);
    assert_non_null(strstr(s.req, "\r\nAuthorization: Basic dXNlcjpwYXNz\r\n"));
    const char *b = strstr(s.req, "\r\n\r\n") + 4;
    if (i < 2) {
      assert_non_null(strstr(s.req, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
      assert_string_equal(b, body);
      assert_int_equal(bu_content_length(s.req), strlen(body));
    } else {
      assert_string_equal(b, "");
      assert_null(strstr(s.req, "Content-Type"));
    }
  }
  free(body);
  promc_registry_free(r);
}

static void push_error_status_carries_message(void **state) {
  (void)state;
  promc_registry *r = job_registry();
  struct stub s;
  stub_start(&s, STUB_503);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", s.srv.port);
  double t0 = bu_now();
  int rc = promc_push(url, "j", &(promc_push_opts){.registry = r, .timeout_ms = 3000});
  double dt = bu_now() - t0;
  stub_join(&s);
  assert_int_equal(rc, PROMC_EHTTP);
  assert_int_equal(promc_push_last_status(), 503);
  if (!strstr(promc_errmsg(), "503") || !strstr(promc_errmsg(), "gateway under maintenance"))
    fail_msg("errmsg: %s", promc_errmsg());
  assert_true(dt < 3.0);
  promc_registry_free(r);
}

static void push_silent_gateway_times_out(void **state) {
  (void)state;
  promc_registry *r = job_registry();
  struct stub s;
  stub_start(&s, STUB_SILENT);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", s.srv.port);
  double t0 = bu_now();
  int rc = promc_pushadd(url, "j", &(promc_push_opts){.registry = r, .timeout_ms = 300});
  double dt = bu_now() - t0;
  stub_join(&s);
  assert_int_equal(rc, PROMC_ETIMEOUT);
  assert_int_equal(promc_push_last_status(), 0);
  if (!(dt >= 0.25 && dt < 2.0)) fail_msg("timeout 300 ms took %.3f s", dt);
  print_message("silent gateway: PROMC_ETIMEOUT after %.3f s (timeout 0.300 s)\n", dt);
  promc_registry_free(r);
}

static void push_unreachable_is_enet(void **state) {
  (void)state;
  promc_registry *r = job_registry();
  int port = bu_free_port();
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  double t0 = bu_now();
  int rc = promc_push(url, "j", &(promc_push_opts){.registry = r, .timeout_ms = 2000});
  double dt = bu_now() - t0;
  assert_int_equal(rc, PROMC_ENET);
  assert_int_equal(promc_push_last_status(), 0);
  assert_true(dt < 2.0);
  if (!strstr(promc_errmsg(), url)) fail_msg("errmsg: %s", promc_errmsg());
  promc_registry_free(r);
}

/* Answers cut off before the end of their headers are network failures,
 * not successes; complete answers around them still succeed. */
static void push_answer_cut_in_headers_is_enet(void **state) {
  (void)state;
  static const struct {
    const char *raw;
    int want;
  } cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Type: text/pl", PROMC_ENET},
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n", PROMC_ENET},
      {"HTTP/1.1 200 OK\r\n", PROMC_ENET},
      {"HTTP/1.1 20", PROMC_ENET},
      {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n", PROMC_ENET},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", PROMC_ENET},
      /* complete: a close-delimited (empty) body, and a final answer after an interim one */
      {"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", 0},
      {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", 0},
  };
  promc_registry *r = job_registry();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (int op = 0; op < 2; op++) { /* with a body (push) and without (delete) */
      struct stub s;
      stub_start_raw(&s, STUB_RAW, cases[i].raw);
      char url[64];
      snprintf(url, sizeof url, "http://127.0.0.1:%d", s.srv.port);
      const promc_push_opts o = {.registry = r, .timeout_ms = 3000};
      int rc = op ? promc_push_delete(url, "j", &o) : promc_push(url, "j", &o);
      stub_join(&s);
      if (rc != cases[i].want)
        fail_msg("case %zu (%s): got %d (%s), want %d", i, op ? "delete" : "push", rc, rc ? promc_errmsg() : "",
                 cases[i].want);
      if (rc) {
        assert_int_equal(promc_push_last_status(), 0);
        if (!strstr(promc_errmsg(), url)) fail_msg("errmsg: %s", promc_errmsg());
      }
    }
  }
  promc_registry_free(r);
}

static int failing_collect(promc_collect *ctx, void *user) {
  (void)ctx;
  (void)user;
  return -1;
}

static void push_failing_collector_sends_nothing(void **state) {
  (void)state;
  promc_registry *r = job_registry();
  promc_collector c = {.name = "bad", .collect = failing_collect};
  assert_int_equal(promc_registry_add_collector(r, &c), 0);
  /* the port has no listener: had anything been sent the error would be ENET */
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", bu_free_port());
  assert_int_equal(promc_push(url, "j", &(promc_push_opts){.registry = r}), PROMC_ECALLBACK);
  assert_non_null(strstr(promc_errmsg(), "nothing sent"));
  /* delete needs no rendering: it does try to connect */
  assert_int_equal(promc_push_delete(url, "j", &(promc_push_opts){.registry = r, .timeout_ms = 1000}), PROMC_ENET);
  promc_registry_free(r);
}

/* ------------------------------------------------------ real Pushgateway */
static struct bu_gateway g_gw = {.pid = -1};

static int gateway_start(void **state) {
  (void)state;
  return bu_gateway_start(&g_gw, "test_push --gateway", NULL, 0, 5);
}

static int gateway_stop(void **state) {
  (void)state;
  bu_gateway_stop(&g_gw);
  return 0;
}

static char *gw_metrics(void) {
  char *body = NULL;
  int st = bu_http(g_gw.port, "GET", "/metrics", &body, 5000);
  if (st != 200) fail_msg("GET /metrics: %d", st);
  return body;
}

static promc_registry *reg_with(const char *const *names, const double *values, size_t n) {
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  for (size_t i = 0; i < n; i++) {
    promc_gauge *g;
    assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = names[i], .help = "test gauge", .registry = r}), 0);
    promc_gauge_set(g, values[i]);
  }
  return r;
}

static void gateway_push_pushadd_delete(void **state) {
  (void)state;
  const char *gn[] = {"instance", "env"}, *gv[] = {"host/a:1", ""};
  promc_push_opts o = {.timeout_ms = 5000, PROMC_PUSH_GROUPING(gn, gv)};
  const char *grp = "{env=\"\",instance=\"host/a:1\",job=\"batch/nightly\"}";
  char want[256];

  /* push: a and b */
  promc_registry *ab = reg_with((const char *[]){"pg_a", "pg_b"}, (double[]){1, 2}, 2);
  o.registry = ab;
  if (promc_push(g_gw.url, "batch/nightly", &o) != 0) fail_msg("push: %s", promc_errmsg());
  assert_true(promc_push_last_status() >= 200 && promc_push_last_status() < 300);
  char *m = gw_metrics();
  snprintf(want, sizeof want, "pg_a%s", grp);
  if (bu_sample(m, want) != 1) fail_msg("want %s 1 in:\n%s", want, m);
  snprintf(want, sizeof want, "pg_b%s", grp);
  assert_true(bu_sample(m, want) == 2);
  free(m);

  /* push replaces the whole group: only a (=10) remains */
  promc_registry *a = reg_with((const char *[]){"pg_a"}, (double[]){10}, 1);
  o.registry = a;
  assert_int_equal(promc_push(g_gw.url, "batch/nightly", &o), 0);
  m = gw_metrics();
  snprintf(want, sizeof want, "pg_a%s", grp);
  assert_true(bu_sample(m, want) == 10);
  snprintf(want, sizeof want, "pg_b%s", grp);
  if (!isnan(bu_sample(m, want))) fail_msg("push (PUT) kept pg_b:\n%s", m);
  free(m);

  /* pushadd replaces only the pushed families: b comes back, a stays */
  promc_registry *b = reg_with((const char *[]){"pg_b"}, (double[]){20}, 1);
  o.registry = b;
  assert_int_equal(promc_pushadd(g_gw.url, "batch/nightly", &o), 0);
  m = gw_metrics();
  snprintf(want, sizeof want, "pg_a%s", grp);
  if (bu_sample(m, want) != 10) fail_msg("pushadd (POST) lost pg_a:\n%s", m);
  snprintf(want, sizeof want, "pg_b%s", grp);
  assert_true(bu_sample(m, want) == 20);
  free(m);

  /* the API shows the group's labels decoded: '/' and the empty value */
  char *api = NULL;
  assert_int_equal(bu_http(g_gw.port, "GET", "/api/v1/metrics", &api, 5000), 200);
  if (!strstr(api, "\"instance\":\"host/a:1\"") || !strstr(api, "\"env\":\"\"") ||
      !strstr(api, "\"job\":\"batch/nightly\""))
    fail_msg("api: %s", api);
  free(api);

  /* another group of the same job is separate */
  const char *gn2[] = {"instance"}, *gv2[] = {"other"};
  promc_push_opts o2 = {.registry = a, .timeout_ms = 5000, PROMC_PUSH_GROUPING(gn2, gv2)};
  assert_int_equal(promc_push(g_gw.url, "batch/nightly", &o2), 0);

  /* delete removes the first group only. The Pushgateway answers a DELETE
   * with 202 and applies it asynchronously (its README): poll, bounded. */
  assert_int_equal(promc_push_delete(g_gw.url, "batch/nightly", &o), 0);
  assert_int_equal(promc_push_last_status(), 202);
  snprintf(want, sizeof want, "pg_a%s", grp);
  m = NULL;
  for (double end = bu_now() + 5; bu_now() < end; bu_sleep_ms(20)) {
    free(m);
    m = gw_metrics();
    if (isnan(bu_sample(m, want))) break;
  }
  if (!isnan(bu_sample(m, want))) fail_msg("5 s after the delete the group is still there:\n%s", m);
  assert_true(bu_sample(m, "pg_a{instance=\"other\",job=\"batch/nightly\"}") == 10);
  free(m);
  assert_int_equal(bu_http(g_gw.port, "GET", "/api/v1/metrics", &api, 5000), 200);
  assert_null(strstr(api, "host/a:1"));
  free(api);
  /* deleting a group that does not exist succeeds (202) */
  assert_int_equal(promc_push_delete(g_gw.url, "no_such_job", NULL), 0);
  assert_int_equal(promc_push_last_status(), 202);
  promc_registry_free(ab);
  promc_registry_free(a);
  promc_registry_free(b);
}

static void gateway_errors(void **state) {
  (void)state;
  /* a type clash with another group: the gateway answers 400 and says why */
  promc_registry *g = reg_with((const char *[]){"pg_clash_total"}, (double[]){1}, 1); /* a gauge */
  if (promc_push(g_gw.url, "clash1", &(promc_push_opts){.registry = g}) != 0) fail_msg("%s", promc_errmsg());
  promc_registry *c;
  assert_int_equal(promc_registry_new(&c), 0);
  promc_counter *ctr;
  assert_int_equal(promc_counter_new(&ctr, &(promc_opts){.name = "pg_clash", .help = "test gauge", .registry = c}), 0);
  double t0 = bu_now();
  int rc = promc_push(g_gw.url, "clash2", &(promc_push_opts){.registry = c, .timeout_ms = 3000});
  assert_true(bu_now() - t0 < 3.0);
  assert_int_equal(rc, PROMC_EHTTP);
  assert_int_equal(promc_push_last_status(), 400);
  if (!strstr(promc_errmsg(), "inconsistent")) fail_msg("errmsg: %s", promc_errmsg());
  print_message("gateway 400: %s\n", promc_errmsg());

  /* a wrong path prefix: 404 */
  char bad[96];
  snprintf(bad, sizeof bad, "%s/not-the-gateway", g_gw.url);
  assert_int_equal(promc_push(bad, "j", &(promc_push_opts){.registry = g, .timeout_ms = 3000}), PROMC_EHTTP);
  assert_int_equal(promc_push_last_status(), 404);

  /* the gateway stops: unreachable within the timeout */
  bu_gateway_stop(&g_gw);
  t0 = bu_now();
  rc = promc_push(g_gw.url, "j", &(promc_push_opts){.registry = g, .timeout_ms = 2000});
  double dt = bu_now() - t0;
  assert_int_equal(rc, PROMC_ENET);
  assert_true(dt < 2.0);
  print_message("stopped gateway: PROMC_ENET after %.3f s\n", dt);
  promc_registry_free(g);
  promc_registry_free(c);
}

/* ------------------------------------ TLS, client certificates, basic auth */
/* A Pushgateway behind its own TLS (exporter-toolkit --web.config.file):
 * server certificate for IP 127.0.0.1 from a test CA, client certificates
 * required, basic auth with a bcrypt hash. Certificates come from the
 * openssl command line tool, the hash from libcrypt. */
static char g_tls[256];

static int tls_gateway_start(void **state) {
  (void)state;
  if (access("/usr/bin/openssl", X_OK) != 0) {
    fprintf(stderr, "test_push --tls: /usr/bin/openssl is missing (Debian package openssl; scripts/deps.sh test)\n");
    return -1;
  }
  snprintf(g_tls, sizeof g_tls, "/tmp/promc-tls-XXXXXX");
  if (!mkdtemp(g_tls)) return -1;
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "set -e; cd '%s'; exec >openssl.log 2>&1; K='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
           "openssl req -x509 $K -keyout ca.key -out ca.crt -days 2 -subj /CN=promc-test-ca\n"
           "openssl req $K -keyout server.key -out server.csr -subj /CN=127.0.0.1\n"
           "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext\n"
           "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 "
           "-extfile san.ext\n"
           "openssl req $K -keyout client.key -out client.csr -subj /CN=promc-client\n"
           "printf 'extendedKeyUsage=clientAuth\\n' > cl.ext\n"
           "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 "
           "-extfile cl.ext\n",
           g_tls);
  if (system(cmd) != 0) {
    fprintf(stderr, "test_push --tls: generating certificates with openssl failed; see %s/openssl.log\n", g_tls);
    return -1;
  }
  char salt[64];
  if (!crypt_gensalt_rn("$2b$", 5, NULL, 0, salt, sizeof salt)) return -1;
  const char *hash = crypt("s3cret", salt);
  if (!hash || hash[0] != '$') {
    fprintf(stderr, "test_push --tls: libcrypt cannot make a bcrypt hash\n");
    return -1;
  }
  char yml[1024], path[400];
  snprintf(yml, sizeof yml,
           "tls_server_config:\n  cert_file: %s/server.crt\n  key_file: %s/server.key\n"
           "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: %s/ca.crt\n"
           "basic_auth_users:\n  pusher: '%s'\n",
           g_tls, g_tls, g_tls, hash);
  snprintf(path, sizeof path, "%s/web.yml", g_tls);
  if (bu_write_file(path, yml) != 0) return -1;
  char cfg[450];
  snprintf(cfg, sizeof cfg, "--web.config.file=%s", path);
  /* HTTPS only, a client certificate required: ready once the port accepts */
  return bu_gateway_start(&g_gw, "test_push --tls", cfg, 1, 5);
}

static int tls_gateway_stop(void **state) {
  bu_gateway_stop(&g_gw);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tls);
  if (g_tls[0] && system(cmd) != 0) {
  }
  (void)state;
  return 0;
}

static void push_over_tls_with_client_cert_and_basic_auth(void **state) {
  (void)state;
  promc_registry *r = job_registry();
  char ca[300], cert[300], key[300];
  snprintf(ca, sizeof ca, "%s/ca.crt", g_tls);
  snprintf(cert, sizeof cert, "%s/client.crt", g_tls);
  snprintf(key, sizeof key, "%s/client.key", g_tls);
  promc_push_opts good = {.registry = r, .timeout_ms = 5000, .ca_file = ca, .cert_file = cert, .key_file = key,
                          .username = "pusher", .password = "s3cret"};
  if (promc_push(g_gw.url, "tls_job", &good) != 0) fail_msg("push over TLS: %s", promc_errmsg());
  assert_int_equal(promc_push_last_status(), 200);
  assert_int_equal(promc_pushadd(g_gw.url, "tls_job", &good), 0);
  assert_int_equal(promc_push_delete(g_gw.url, "tls_job", &good), 0);
  assert_int_equal(promc_push_last_status(), 202);

  /* wrong password: the gateway's 401 */
  promc_push_opts o = good;
  o.password = "wrong";
  assert_int_equal(promc_push(g_gw.url, "tls_job", &o), PROMC_EHTTP);
  assert_int_equal(promc_push_last_status(), 401);
  /* no credentials at all */
  o = good;
  o.username = NULL;
  assert_int_equal(promc_push(g_gw.url, "tls_job", &o), PROMC_EHTTP);
  assert_int_equal(promc_push_last_status(), 401);
  /* the test CA is not among the system's: verification fails */
  o = good;
  o.ca_file = NULL;
  assert_int_equal(promc_push(g_gw.url, "tls_job", &o), PROMC_ENET);
  assert_int_equal(promc_push_last_status(), 0);
  print_message("unknown CA: %s\n", promc_errmsg());
  /* ... unless verification is turned off */
  o.insecure = 1;
  if (promc_push(g_gw.url, "tls_job", &o) != 0) fail_msg("insecure push: %s", promc_errmsg());
  /* no client certificate: the handshake is refused */
  o = good;
  o.cert_file = o.key_file = NULL;
  assert_int_equal(promc_push(g_gw.url, "tls_job", &o), PROMC_ENET);
  print_message("no client certificate: %s\n", promc_errmsg());
  /* plain http to the TLS port: the gateway answers 400 */
  char plain[64];
  snprintf(plain, sizeof plain, "http://127.0.0.1:%d", g_gw.port);
  assert_int_equal(promc_push(plain, "tls_job", &good), PROMC_EHTTP);
  assert_int_equal(promc_push_last_status(), 400);
  promc_registry_free(r);
}

/* ------------------------------------------- examples/batch_job end to end */
static int run_example(char *const argv[], char **out) {
  int p[2];
  if (pipe(p) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    dup2(p[1], 2);
    close(p[0]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(p[1]);
  size_t len = 0, cap = 8192;
  *out = calloc(1, cap);
  double end = bu_now() + 20;
  while (bu_now() < end && len + 1 < cap) {
    struct pollfd q = {.fd = p[0], .events = POLLIN};
    if (poll(&q, 1, 1000) < 0) break;
    ssize_t n = read(p[0], *out + len, cap - 1 - len);
    if (n <= 0) break;
    len += (size_t)n;
  }
  close(p[0]);
  int st = 0;
  for (int i = 0; i < 200 && waitpid(pid, &st, WNOHANG) != pid; i++) bu_sleep_ms(50);
  if (waitpid(pid, &st, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void batch_job_example_pushes_and_keeps_last_success(void **state) {
  (void)state;
  char bin[512], tf[256], out_tf[300];
  snprintf(bin, sizeof bin, "%s/examples/batch_job", PROMC_BINARY_DIR);
  snprintf(tf, sizeof tf, "/tmp/promc-batchjob-XXXXXX");
  assert_non_null(mkdtemp(tf));
  snprintf(out_tf, sizeof out_tf, "%s/batch.prom", tf);
  char *out = NULL;
  char *ok[] = {bin, "--gateway", g_gw.url, "--job", "nightly", "--grouping", "instance=db/1", "--grouping", "env=",
                "--items", "10", "--textfile", out_tf, NULL};
  int rc = run_example(ok, &out);
  if (rc != 0) fail_msg("batch_job exited %d:\n%s", rc, out);
  free(out);
  const char *grp = "{env=\"\",instance=\"db/1\",job=\"nightly\"}";
  char want[200];
  char *m = gw_metrics();
  snprintf(want, sizeof want, "job_items_processed_total%s", grp);
  if (bu_sample(m, want) != 10) fail_msg("want %s 10 in:\n%s", want, m);
  snprintf(want, sizeof want, "job_last_success_unixtime%s", grp);
  double success = bu_sample(m, want);
  assert_true(success > 1.6e9);
  free(m);
  char *text = bu_read_file(out_tf);
  assert_non_null(text);
  assert_true(bu_sample(text, "job_items_processed_total") == 10);
  free(text);

  /* a failing run: pushadd keeps the last success, adds the failure time */
  char *bad[] = {bin, "--gateway", g_gw.url, "--job", "nightly", "--grouping", "instance=db/1", "--grouping", "env=",
                 "--items", "10", "--fail-at", "4", "--textfile", out_tf, NULL};
  rc = run_example(bad, &out);
  if (rc != 1) fail_msg("failing batch_job exited %d:\n%s", rc, out);
  free(out);
  m = gw_metrics();
  snprintf(want, sizeof want, "job_last_success_unixtime%s", grp);
  assert_true(bu_sample(m, want) == success);
  snprintf(want, sizeof want, "job_last_failure_unixtime%s", grp);
  assert_true(bu_sample(m, want) >= success);
  free(m);
  text = bu_read_file(out_tf); /* the textfile still describes the good run */
  assert_true(bu_sample(text, "job_items_processed_total") == 10);
  free(text);
  unlink(out_tf);
  rmdir(tf);
}

int main(int argc, char **argv) {
  /* requests go to 127.0.0.1 directly, never through a configured proxy */
  unsetenv("http_proxy");
  unsetenv("HTTP_PROXY");
  unsetenv("https_proxy");
  unsetenv("HTTPS_PROXY");
  unsetenv("ALL_PROXY");
  unsetenv("all_proxy");
  int rc;
  if (argc == 2 && strcmp(argv[1], "--tls") == 0) {
    const struct CMUnitTest tls[] = {
        cmocka_unit_test_setup_teardown(push_over_tls_with_client_cert_and_basic_auth, tls_gateway_start,
                                        tls_gateway_stop),
    };
    rc = cmocka_run_group_tests_name("pushgateway_tls", tls, NULL, NULL);
  } else if (argc == 2 && strcmp(argv[1], "--example") == 0) {
    const struct CMUnitTest ex[] = {
        cmocka_unit_test_setup_teardown(batch_job_example_pushes_and_keeps_last_success, gateway_start, gateway_stop),
    };
    rc = cmocka_run_group_tests_name("batch_job_example", ex, NULL, NULL);
  } else if (argc == 2 && strcmp(argv[1], "--gateway") == 0) {
    const struct CMUnitTest gw[] = {
        cmocka_unit_test_setup_teardown(gateway_push_pushadd_delete, gateway_start, gateway_stop),
        cmocka_unit_test_setup_teardown(gateway_errors, gateway_start, gateway_stop),
    };
    rc = cmocka_run_group_tests_name("pushgateway", gw, NULL, NULL);
  } else {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(push_url_encoding),
        cmocka_unit_test(push_url_rejects_bad_input),
        cmocka_unit_test(push_requests_have_method_path_headers_body),
        cmocka_unit_test(push_error_status_carries_message),
        cmocka_unit_test(push_silent_gateway_times_out),
        cmocka_unit_test(push_unreachable_is_enet),
        cmocka_unit_test(push_answer_cut_in_headers_is_enet),
        cmocka_unit_test(push_failing_collector_sends_nothing),
    };
    rc = cmocka_run_group_tests(tests, NULL, NULL);
  }
  promc_shutdown();
  return rc;
}
