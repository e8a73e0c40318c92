/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_opts.c — the built-in server's scrape options: metrics paths
 * and a health path, promhttp's self-metrics (exact values), a limit on
 * scrapes in flight (N+1 concurrent scrapes with a limit of N) and a render
 * timeout (a collector sleeping past it gives 503 within the timeout). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cmocka.h>

#include "http_test_util.h"
#include "promc/http.h"
#include "promc/promc.h"

/* A collector whose behaviour the test steers: it may fail, or block until
 * released (or for at most block_ms), and it counts its calls. */
static _Atomic int fail_next;
static _Atomic int block_ms;      /* > 0: sleep up to this long ... */
static _Atomic int released;      /* ... or until this is set */
static _Atomic int calls;

static int steered(promc_collect *ctx, void *user) {
  (void)user;
  atomic_fetch_add(&calls, 1);
  int ms = atomic_load(&block_ms);
  for (int i = 0; i < ms && !atomic_load(&released); i++) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  if (atomic_load(&fail_next)) return -1;
  promc_collect_family(ctx, "steered", "A collected gauge.", PROMC_TYPE_GAUGE, NULL);
  return promc_collect_sample(ctx, 0, NULL, NULL, 3);
}

static void steer_reset(void) {
  atomic_store(&fail_next, 0);
  atomic_store(&block_ms, 0);
  atomic_store(&released, 0);
  atomic_store(&calls, 0);
}

static promc_registry *make_registry(void) {
  promc_registry *reg;
  assert_int_equal(promc_registry_new(&reg), 0);
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "alpha", .help = "A counter.", .registry = reg}), 0);
  promc_counter_add_int(c, 7);
  assert_int_equal(promc_registry_add_collector(reg, &(promc_collector){.name = "steered", .collect = steered}), 0);
  steer_reset();
  return reg;
}

static char *render(promc_registry *reg) {
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &b), 0);
  assert_int_equal(promc_buf_write(&b, "", 1), 0);
  return b.data;
}

/* ------------------------------------------------------------------ paths */
static void paths_and_health(void **state) {
  (void)state;
  promc_registry *reg = make_registry();
  promc_http_server *s;
  const char *const paths[] = {"/a", "/b/metrics"};
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .paths = paths,
                                                           .npaths = 2, .health_path = "/healthz"}),
                   0);
  unsigned port = promc_http_port(s);
  struct http_resp r;
  for (int i = 0; i < 2; i++) {
    assert_int_equal(http_get(port, paths[i], &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "alpha_total 7\n"));
    http_resp_free(&r);
  }
  const char *gone[] = {"/metrics", "/", "/a/", "/healthz/x"};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(http_get(port, gone[i], &r), 0);
    assert_int_equal(r.status, 404);
    http_resp_free(&r);
  }
  assert_int_equal(http_get(port, "/healthz", &r), 0);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, 2);
  assert_string_equal(r.body, "ok");
  char ct[128];
  assert_non_null(resp_header(&r, "Content-Type", ct, sizeof ct));
  assert_string_equal(ct, "text/plain; charset=utf-8");
  http_resp_free(&r);
  assert_int_equal(http_get_ex(port, "POST", "/healthz", NULL, &r), 0);
  assert_int_equal(r.status, 405);
  http_resp_free(&r);
  promc_http_stop(s);

  /* the default paths still answer, with the health path added */
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .health_path = "/-/healthy"}),
                   0);
  port = promc_http_port(s);
  assert_int_equal(http_get(port, "/metrics", &r), 0);
  assert_int_equal(r.status, 200);
  http_resp_free(&r);
  assert_int_equal(http_get(port, "/-/healthy", &r), 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "ok");
  http_resp_free(&r);
  promc_http_stop(s);

  /* bad paths */
  const char *const bad[] = {"metrics"};
  const char *const dup[] = {"/m", "/h"};
  s = (promc_http_server *)&s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .paths = bad,
                                                           .npaths = 1}),
                   PROMC_EINVAL);
  assert_non_null(strstr(promc_errmsg(), "\"metrics\" does not begin with '/'"));
  assert_null(s);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .npaths = 1}),
                   PROMC_EINVAL);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .paths = dup,
                                                           .npaths = 2, .health_path = "/h"}),
                   PROMC_EINVAL);
  assert_non_null(strstr(promc_errmsg(), "both a metrics path and the health path"));
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .health_path = "/metrics"}),
                   PROMC_EINVAL);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .health_path = "healthz"}),
                   PROMC_EINVAL);
  promc_registry_free(reg);
}

/* ----------------------------------------------------------- self-metrics */
#define SM_QUERY "/metrics?name[]=promhttp_metric_handler_requests_total&name[]=promhttp_metric_handler_requests_in_flight"
static const char sm_fmt[] =
    "# HELP promhttp_metric_handler_requests_in_flight Current number of scrapes being served.\n"
    "# TYPE promhttp_metric_handler_requests_in_flight gauge\n"
    "promhttp_metric_handler_requests_in_flight %d\n"
    "# HELP promhttp_metric_handler_requests_total Total number of scrapes by HTTP status code.\n"
    "# TYPE promhttp_metric_handler_requests_total counter\n"
    "promhttp_metric_handler_requests_total{code=\"200\"} %d\n"
    "promhttp_metric_handler_requests_total{code=\"500\"} %d\n"
    "promhttp_metric_handler_requests_total{code=\"503\"} %d\n";

static const char *sm_extra = ""; /* children beyond the three made at start */

static void expect_sm(unsigned port, int inflight, int n200, int n500, int n503) {
  char want[1024];
  int n = snprintf(want, sizeof want, sm_fmt, inflight, n200, n500, n503);
  snprintf(want + n, sizeof want - (size_t)n, "%s", sm_extra);
  struct http_resp r;
  assert_int_equal(http_get(port, SM_QUERY, &r), 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, want);
  http_resp_free(&r);
}

static void self_metrics_exact(void **state) {
  (void)state;
  promc_registry *reg = make_registry();
  promc_http_server *s, *s2;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .self_metrics = 1}),
                   0);
  unsigned port = promc_http_port(s);
  /* as promhttp: the scrape sees itself in flight, and is counted after */
  expect_sm(port, 1, 0, 0, 0);
  expect_sm(port, 1, 1, 0, 0);
  struct http_resp r;
  atomic_store(&fail_next, 1);
  assert_int_equal(http_get(port, "/metrics", &r), 0);
  assert_int_equal(r.status, 500);
  http_resp_free(&r);
  atomic_store(&fail_next, 0);
  assert_int_equal(http_get(port, "/nowhere", &r), 0); /* not a scrape: not counted */
  assert_int_equal(r.status, 404);
  http_resp_free(&r);
  assert_int_equal(http_get(port, "/metrics?name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a"
                                  "&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a"
                                  "&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a"
                                  "&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a"
                                  "&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a"
                                  "&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a"
                                  "&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a"
                                  "&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a&name[]=a"
                                  "&name[]=a&name[]=a&name[]=a",
                            &r),
                   0);
  assert_int_equal(r.status, 400);
  http_resp_free(&r);
  char want[1024];
  snprintf(want, sizeof want, sm_fmt, 1, 2, 1, 0);
  assert_int_equal(http_get(port, "/metrics", &r), 0);
  assert_non_null(strstr(r.body, want));
  assert_non_null(strstr(r.body, "promhttp_metric_handler_requests_total{code=\"400\"} 1\n"));
  assert_non_null(strstr(r.body, "alpha_total 7\n"));
  http_resp_free(&r);

  sm_extra = "promhttp_metric_handler_requests_total{code=\"400\"} 1\n";
  /* a second server of the same registry counts into the same families */
  assert_int_equal(promc_http_start(&s2, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .self_metrics = 1}),
                   0);
  expect_sm(promc_http_port(s2), 1, 3, 1, 0);
  expect_sm(port, 1, 4, 1, 0);
  promc_http_stop(s2);
  expect_sm(port, 1, 5, 1, 0);
  promc_http_stop(s);
  sm_extra = "";
  char *text = render(reg);
  assert_null(strstr(text, "promhttp")); /* gone with the last server */
  free(text);

  /* an explicit registry: off unless asked (promhttp.HandlerFor) */
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg}), 0);
  assert_int_equal(http_get(promc_http_port(s), "/metrics", &r), 0);
  assert_null(strstr(r.body, "promhttp"));
  http_resp_free(&r);
  promc_http_stop(s);

  /* counted into another registry */
  promc_registry *other;
  assert_int_equal(promc_registry_new(&other), 0);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .self_metrics = 1,
                                                           .self_metrics_registry = other}),
                   0);
  assert_int_equal(http_get(promc_http_port(s), "/metrics", &r), 0);
  assert_null(strstr(r.body, "promhttp"));
  http_resp_free(&r);
  text = render(other);
  snprintf(want, sizeof want, sm_fmt, 0, 1, 0, 0);
  assert_string_equal(text, want);
  free(text);
  promc_http_stop(s);

  /* a family of that name already there (not ours) */
  promc_counter *mine;
  assert_int_equal(promc_counter_new(&mine, &(promc_opts){.name = "promhttp_metric_handler_requests_total",
                                                          .help = "x", .registry = other}),
                   0);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .self_metrics = 1,
                                                           .self_metrics_registry = other}),
                   PROMC_EDUP);
  assert_non_null(strstr(promc_errmsg(), "cannot register the self-metrics"));
  promc_registry_free(other);
  promc_registry_free(reg);
}

static void self_metrics_on_by_default_for_the_default_registry(void **state) {
  (void)state;
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1"}), 0);
  expect_sm(promc_http_port(s), 1, 0, 0, 0);
  expect_sm(promc_http_port(s), 1, 1, 0, 0);
  promc_http_stop(s);
  char *text = render(promc_default_registry());
  assert_null(strstr(text, "promhttp"));
  free(text);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .self_metrics = -1}), 0);
  struct http_resp r;
  assert_int_equal(http_get(promc_http_port(s), "/metrics", &r), 0);
  assert_int_equal(r.status, 200);
  assert_null(strstr(r.body, "promhttp"));
  http_resp_free(&r);
  promc_http_stop(s);
}

/* -------------------------------------------------- scrapes in flight */
struct bg {
  pthread_t t;
  unsigned port;
  struct http_resp r;
};

static void *bg_scrape(void *arg) {
  struct bg *b = arg;
  http_get(b->port, "/metrics", &b->r);
  return NULL;
}

/* Waits (at most 5 s) until other's text shows the gauge at want. */
static void wait_inflight(promc_registry *other, int want) {
  char line[128];
  snprintf(line, sizeof line, "promhttp_metric_handler_requests_in_flight %d\n", want);
  for (int i = 0; i < 500; i++) {
    char *text = render(other);
    int ok = strstr(text, line) != NULL;
    free(text);
    if (ok) return;
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  fail_msg("in flight never reached %d", want);
}

static void run_limit(unsigned render_timeout_ms) {
  enum { N = 3 };
  promc_registry *reg = make_registry(), *other;
  assert_int_equal(promc_registry_new(&other), 0);
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .threads = N + 1,
                                                           .self_metrics = 1, .self_metrics_registry = other,
                                                           .max_scrapes_in_flight = N,
                                                           .render_timeout_ms = render_timeout_ms}),
                   0);
  atomic_store(&block_ms, 20000);
  struct bg b[N];
  /* one at a time: a blocked connection thread accepts no more */
  for (int i = 0; i < N; i++) {
    b[i].port = promc_http_port(s);
    assert_int_equal(pthread_create(&b[i].t, NULL, bg_scrape, &b[i]), 0);
    wait_inflight(other, i + 1);
  }
  double t0 = now_s();
  struct http_resp r;
  assert_int_equal(http_get(promc_http_port(s), "/metrics", &r), 0);
  double dt = now_s() - t0;
  assert_int_equal(r.status, 503);
  assert_string_equal(r.body, "Limit of concurrent requests reached (3), try again later.\n");
  http_resp_free(&r);
  assert_true(dt < 1.0);
  atomic_store(&released, 1);
  for (int i = 0; i < N; i++) {
    pthread_join(b[i].t, NULL);
    assert_int_equal(b[i].r.status, 200);
    assert_non_null(strstr(b[i].r.body, "steered 3\n"));
    http_resp_free(&b[i].r);
  }
  char *text = render(other), want[1024];
  snprintf(want, sizeof want, sm_fmt, 0, N, 0, 1);
  assert_string_equal(text, want);
  free(text);
  promc_http_stop(s);
  promc_registry_free(reg);
  promc_registry_free(other);
}

static void limit_n_plus_one(void **state) {
  (void)state;
  run_limit(0);
}

static void limit_n_plus_one_with_render_timeout(void **state) {
  (void)state;
  run_limit(30000);
}

/* ---------------------------------------------------------- render timeout */
static void render_timeout_answers_503_in_time(void **state) {
  (void)state;
  promc_registry *reg = make_registry(), *other;
  assert_int_equal(promc_registry_new(&other), 0);
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .self_metrics = 1,
                                                           .self_metrics_registry = other,
                                                           .render_timeout_ms = 300}),
                   0);
  unsigned port = promc_http_port(s);
  struct http_resp r;
  /* in time: the body, gzip too */
  assert_int_equal(http_get(port, "/metrics", &r), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "alpha_total 7\n"));
  assert_non_null(strstr(r.body, "steered 3\n"));
  http_resp_free(&r);
  assert_int_equal(http_get_ex(port, "GET", "/metrics", "Accept-Encoding: gzip\r\n", &r), 0);
  assert_int_equal(r.status, 200);
  char ce[32];
  assert_non_null(resp_header(&r, "Content-Encoding", ce, sizeof ce));
  http_resp_free(&r);

  /* a collector sleeping 1.5 s: 503 at 300 ms */
  atomic_store(&block_ms, 1500);
  double t0 = now_s();
  assert_int_equal(http_get(port, "/metrics", &r), 0);
  double dt = now_s() - t0;
  assert_int_equal(r.status, 503);
  assert_string_equal(r.body, "Exceeded configured timeout of 300 ms.\n");
  http_resp_free(&r);
  if (dt < 0.29 || dt > 0.6) fail_msg("503 after %.3f s, timeout 0.3 s", dt);
  /* the late render finishes into its own buffer; the next scrape is whole */
  atomic_store(&block_ms, 0);
  int nto = 1;
  for (int i = 0; i < 100; i++) { /* until the late render lets go of the registry */
    assert_int_equal(http_get(port, "/metrics", &r), 0);
    int st = r.status;
    if (st == 200) assert_non_null(strstr(r.body, "steered 3\n"));
    http_resp_free(&r);
    if (st == 200) break;
    assert_int_equal(st, 503);
    nto++;
    /* once every render thread is taken, the 503 comes at once */
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
  }

  char *text = render(other), want[1024];
  snprintf(want, sizeof want, sm_fmt, 0, 3, 0, nto);
  assert_string_equal(text, want);
  free(text);

  /* stop while a render sleeps: the scraper gets 503 (or a closed
   * connection) and stop waits for the render before returning */
  atomic_store(&block_ms, 800);
  atomic_store(&calls, 0);
  struct bg b = {.port = port};
  assert_int_equal(pthread_create(&b.t, NULL, bg_scrape, &b), 0);
  while (atomic_load(&calls) < 1) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  promc_http_stop(s);
  pthread_join(b.t, NULL);
  assert_true(b.r.status == 503 || b.r.status == 0);
  http_resp_free(&b.r);
  promc_registry_free(reg);
  promc_registry_free(other);
}

/* --------------------------------------------------------- error handling */
static const char err_fmt[] =
    "# HELP promhttp_metric_handler_errors_total Total number of internal errors encountered by the promhttp "
    "metric handler.\n"
    "# TYPE promhttp_metric_handler_errors_total counter\n"
    "promhttp_metric_handler_errors_total{cause=\"gathering\"} %d\n"
    "promhttp_metric_handler_errors_total{cause=\"encoding\"} 0\n";

static void continue_on_error_serves_the_rest(void **state) {
  (void)state;
  promc_registry *reg = make_registry();
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .error_handling = PROMC_HTTP_CONTINUE_ON_ERROR}),
                   0);
  unsigned port = promc_http_port(s);
  struct http_resp r;
  char want[512];
  assert_int_equal(http_get(port, "/metrics?name[]=promhttp_metric_handler_errors_total", &r), 0);
  assert_int_equal(r.status, 200);
  snprintf(want, sizeof want, err_fmt, 0);
  assert_string_equal(r.body, want);
  http_resp_free(&r);
  atomic_store(&fail_next, 1);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(http_get(port, "/metrics", &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "alpha_total 7\n"));
    assert_null(strstr(r.body, "steered"));
    snprintf(want, sizeof want, err_fmt, i);
    assert_non_null(strstr(r.body, want));
    assert_null(strstr(r.body, "promhttp_metric_handler_requests")); /* own registry: no self-metrics */
    http_resp_free(&r);
  }
  promc_http_stop(s);

  /* the default: 500 */
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg}), 0);
  assert_int_equal(http_get(promc_http_port(s), "/metrics", &r), 0);
  assert_int_equal(r.status, 500);
  assert_non_null(strstr(r.body, "An error has occurred while serving metrics"));
  http_resp_free(&r);
  promc_http_stop(s);

  /* nothing rendered at all: 500 even so, and counted */
  promc_registry *only, *other;
  assert_int_equal(promc_registry_new(&only), 0);
  assert_int_equal(promc_registry_new(&other), 0);
  assert_int_equal(promc_registry_add_collector(only, &(promc_collector){.name = "steered", .collect = steered}), 0);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = only,
                                                           .self_metrics_registry = other,
                                                           .error_handling = PROMC_HTTP_CONTINUE_ON_ERROR}),
                   0);
  assert_int_equal(http_get(promc_http_port(s), "/metrics", &r), 0);
  assert_int_equal(r.status, 500);
  http_resp_free(&r);
  char *text = render(other);
  snprintf(want, sizeof want, err_fmt, 1);
  assert_string_equal(text, want);
  free(text);
  promc_http_stop(s);
  s = (promc_http_server *)&s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .error_handling = (promc_http_error_handling)7}),
                   PROMC_EINVAL);
  assert_null(s);
  promc_registry_free(only);
  promc_registry_free(other);
  promc_registry_free(reg);
}

/* ------------------------------------------------------ Unix domain socket */
/* GET path over the Unix socket at sock; the whole response into r. */
static int unix_get(const char *sock, const char *path, struct http_resp *r) {
  memset(r, 0, sizeof *r);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  char req[256];
  snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
  int rc = send_all(fd, req, strlen(req));
  if (rc == 0) rc = read_resp(fd, r, 0);
  close(fd);
  return rc;
}

static void unix_socket_scraped_by_curl(void **state) {
  (void)state;
  promc_registry *reg = make_registry();
  char dir[] = "/tmp/promc_unix_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char sock[100], file[100];
  snprintf(sock, sizeof sock, "%s/metrics.sock", dir);
  snprintf(file, sizeof file, "%s/plain", dir);
  promc_http_server *s, *s2;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.unix_path = sock, .registry = reg,
                                                           .health_path = "/healthz"}),
                   0);
  assert_int_equal(promc_http_port(s), 0);
  struct stat st;
  assert_int_equal(lstat(sock, &st), 0);
  assert_true(S_ISSOCK(st.st_mode));

  char out[8192], err[1024];
  char *argv[] = {"curl", "-sS", "--max-time", "10", "--unix-socket", sock, "http://localhost/metrics", NULL};
  int rc = run_tool(argv, out, sizeof out, err, sizeof err, 20);
  if (rc != 0) fail_msg("curl --unix-socket exited %d: %s", rc, err);
  assert_non_null(strstr(out, "# TYPE alpha_total counter\nalpha_total 7\n"));
  assert_non_null(strstr(out, "steered 3\n"));
  char *argv2[] = {"curl", "-sS", "--max-time", "10", "--unix-socket", sock, "http://localhost/healthz", NULL};
  rc = run_tool(argv2, out, sizeof out, err, sizeof err, 20);
  if (rc != 0) fail_msg("curl --unix-socket exited %d: %s", rc, err);
  assert_string_equal(out, "ok");
  struct http_resp r;
  assert_int_equal(unix_get(sock, "/metrics", &r), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "alpha_total 7\n"));
  http_resp_free(&r);

  /* a server listening there already */
  s2 = (promc_http_server *)&s2;
  assert_int_equal(promc_http_start(&s2, &(promc_http_opts){.unix_path = sock, .registry = reg}), PROMC_ENET);
  assert_non_null(strstr(promc_errmsg(), "a server is listening on it"));
  assert_null(s2);
  assert_int_equal(unix_get(sock, "/metrics", &r), 0); /* and it was left alone */
  assert_int_equal(r.status, 200);
  http_resp_free(&r);
  promc_http_stop(s);
  assert_int_equal(lstat(sock, &st), -1); /* removed at stop */

  /* a socket file left by a dead server is replaced */
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  close(fd);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.unix_path = sock, .registry = reg}), 0);
  assert_int_equal(unix_get(sock, "/metrics", &r), 0);
  assert_int_equal(r.status, 200);
  http_resp_free(&r);
  promc_http_stop(s);

  /* not a socket: left alone */
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fclose(f);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.unix_path = file, .registry = reg}), PROMC_ENET);
  assert_non_null(strstr(promc_errmsg(), "no socket"));
  assert_int_equal(lstat(file, &st), 0);
  assert_true(S_ISREG(st.st_mode));
  unlink(file);

  char longp[200];
  memset(longp, 'a', sizeof longp - 1);
  longp[0] = '/';
  longp[sizeof longp - 1] = '\0';
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.unix_path = longp}), PROMC_EINVAL);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.unix_path = ""}), PROMC_EINVAL);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.unix_path = sock, .addr = "127.0.0.1"}), PROMC_EINVAL);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.unix_path = sock, .port = 9}), PROMC_EINVAL);
  rmdir(dir);
  promc_registry_free(reg);
}

/* ------------------------------------------------------------- coalescing */
struct burst {
  pthread_t t;
  unsigned port;
  const char *target;
  const char *headers;
  struct http_resp r;
};

static void *burst_scrape(void *arg) {
  struct burst *b = arg;
  http_get_ex(b->port, "GET", b->target, b->headers, &b->r);
  return NULL;
}

/* n concurrent scrapes of one server; returns the collector's calls. */
static int scrape_burst(int coalesce, unsigned render_timeout_ms, int render_ms, int n, int *n200) {
  promc_registry *reg = make_registry(), *other;
  assert_int_equal(promc_registry_new(&other), 0);
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .self_metrics = 1,
                                                           .self_metrics_registry = other,
                                                           .coalesce_scrapes = coalesce,
                                                           .render_timeout_ms = render_timeout_ms}),
                   0);
  atomic_store(&block_ms, render_ms); /* every render takes this long */
  struct burst b[20];
  assert_true(n <= 20);
  for (int i = 0; i < n; i++) {
    b[i] = (struct burst){.port = promc_http_port(s), .target = "/metrics"};
    assert_int_equal(pthread_create(&b[i].t, NULL, burst_scrape, &b[i]), 0);
  }
  *n200 = 0;
  for (int i = 0; i < n; i++) {
    pthread_join(b[i].t, NULL);
    if (b[i].r.status == 200) {
      (*n200)++;
      assert_non_null(strstr(b[i].r.body, "alpha_total 7\n"));
      assert_non_null(strstr(b[i].r.body, "steered 3\n"));
    }
    http_resp_free(&b[i].r);
  }
  int c = atomic_load(&calls);
  /* every scrape counted on its own, coalesced or not */
  char *text = render(other), want[1024];
  snprintf(want, sizeof want, sm_fmt, 0, *n200, 0, 0);
  assert_string_equal(text, want);
  free(text);
  promc_http_stop(s);
  promc_registry_free(reg);
  promc_registry_free(other);
  return c;
}

static void twenty_scrapes_two_renders(void **state) {
  (void)state;
  int ok;
  int c = scrape_burst(1, 0, 300, 20, &ok);
  assert_int_equal(ok, 20);
  if (c > 2) fail_msg("20 coalesced scrapes made %d renders", c);
  c = scrape_burst(1, 30000, 300, 20, &ok); /* with a render timeout too */
  assert_int_equal(ok, 20);
  if (c > 2) fail_msg("20 coalesced scrapes (render timeout) made %d renders", c);
  /* the same without: one render each (shorter, or the last scrapers,
   * served one after another, would give up) */
  c = scrape_burst(0, 0, 100, 20, &ok);
  assert_int_equal(ok, 20);
  assert_int_equal(c, 20);
}

/* Different requests are not merged: text and OpenMetrics, plain and gzip,
 * different name[] lists each get their own render, and their own right
 * answer. */
static void coalescing_keeps_different_scrapes_apart(void **state) {
  (void)state;
  promc_registry *reg = make_registry();
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .coalesce_scrapes = 1}),
                   0);
  atomic_store(&block_ms, 300);
  struct burst b[8];
  static const char *const targets[4] = {"/metrics", "/metrics", "/metrics?name[]=alpha_total", "/metrics"};
  static const char *const headers[4] = {NULL, "Accept: application/openmetrics-text;version=1.0.0\r\n", NULL,
                                         "Accept-Encoding: gzip\r\n"};
  for (int i = 0; i < 8; i++) {
    b[i] = (struct burst){.port = promc_http_port(s), .target = targets[i % 4], .headers = headers[i % 4]};
    assert_int_equal(pthread_create(&b[i].t, NULL, burst_scrape, &b[i]), 0);
  }
  for (int i = 0; i < 8; i++) {
    pthread_join(b[i].t, NULL);
    struct http_resp *r = &b[i].r;
    assert_int_equal(r->status, 200);
    char v[128];
    switch (i % 4) {
    case 0:
      assert_non_null(strstr(r->body, "steered 3\n"));
      assert_null(strstr(r->body, "# EOF"));
      break;
    case 1:
      assert_non_null(strstr(r->body, "# EOF\n"));
      break;
    case 2:
      assert_null(strstr(r->body, "steered"));
      assert_non_null(strstr(r->body, "alpha_total 7\n"));
      break;
    case 3:
      assert_non_null(resp_header(r, "Content-Encoding", v, sizeof v));
      assert_string_equal(v, "gzip");
      break;
    }
    http_resp_free(r);
  }
  int c = atomic_load(&calls);
  if (c < 4 || c > 8) fail_msg("%d renders for 4 kinds of scrape, 2 each", c);
  promc_http_stop(s);
  promc_registry_free(reg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(paths_and_health),
      cmocka_unit_test(self_metrics_exact),
      cmocka_unit_test(self_metrics_on_by_default_for_the_default_registry),
      cmocka_unit_test(limit_n_plus_one),
      cmocka_unit_test(limit_n_plus_one_with_render_timeout),
      cmocka_unit_test(render_timeout_answers_503_in_time),
      cmocka_unit_test(continue_on_error_serves_the_rest),
      cmocka_unit_test(unix_socket_scraped_by_curl),
      cmocka_unit_test(twenty_scrapes_two_renders),
      cmocka_unit_test(coalescing_keeps_different_scrapes_apart),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
