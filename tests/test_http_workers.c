/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_workers.c — render threads of the built-in server
 * (render_timeout_ms, coalesce_scrapes) are bounded: a collector that
 * blocks until released holds every render it is in, and scrapes keep
 * coming.  The threads of the process (/proc/self/task) must stay within
 * the bound, the scrapes past it get 503 at once, and once the collector
 * lets go the renders end, their threads with them, and the next scrape is
 * 200.  Also: a scrape that can join a running render still does at the
 * bound; stop with every slot held waits for the renders and stays
 * clean; the option's validation.  Clients are raw sockets driven from the
 * test's own thread, so that every thread counted is the server's. */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http_test_util.h"
#include "promc/http.h"
#include "promc/promc.h"

#define DEFAULT_BOUND 4

/* A collector that blocks on a condition until released. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_shut;    /* 1: collectors wait for the release */
static int gate_inside;  /* collectors blocked right now */
static _Atomic int calls;

static int blocking(promc_collect *ctx, void *user) {
  (void)user;
  atomic_fetch_add(&calls, 1);
  pthread_mutex_lock(&gate_mu);
  gate_inside++;
  while (gate_shut) pthread_cond_wait(&gate_cv, &gate_mu);
  gate_inside--;
  pthread_mutex_unlock(&gate_mu);
  promc_collect_family(ctx, "gated", "A collected gauge.", PROMC_TYPE_GAUGE, NULL);
  return promc_collect_sample(ctx, 0, NULL, NULL, 5);
}

static void gate_set(int shut) {
  pthread_mutex_lock(&gate_mu);
  gate_shut = shut;
  pthread_cond_broadcast(&gate_cv);
  pthread_mutex_unlock(&gate_mu);
}

static int gate_blocked(void) {
  pthread_mutex_lock(&gate_mu);
  int n = gate_inside;
  pthread_mutex_unlock(&gate_mu);
  return n;
}

static promc_registry *make_registry(void) {
  promc_registry *reg;
  assert_int_equal(promc_registry_new(&reg), 0);
  assert_int_equal(promc_registry_add_collector(reg, &(promc_collector){.name = "blocking", .collect = blocking}),
                   0);
  gate_set(0);
  atomic_store(&calls, 0);
  return reg;
}

static int thread_count(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) fail_msg("cannot open /proc/self/task");
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Waits (up to 5 s) until the process has at most `want` threads. */
static int wait_threads_at_most(int want) {
  int n = thread_count();
  for (int i = 0; i < 500 && n > want; i++) {
    sleep_ms(10);
    n = thread_count();
  }
  return n;
}

/* n scrapes sent at once, each on its own connection, answered in any
 * order; the thread count is sampled while they wait. */
struct wave {
  int fd[32];
  double sent, got[32];
  struct http_resp r[32];
  int max_threads;
};

static void wave_run(unsigned port, int n, const char *headers, struct wave *w) {
  assert_true(n <= 32);
  memset(w, 0, sizeof *w);
  char req[512];
  snprintf(req, sizeof req, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n",
           headers ? headers : "");
  w->sent = now_s();
  for (int i = 0; i < n; i++) {
    w->fd[i] = tcp_connect(port, 10000);
    assert_true(w->fd[i] >= 0);
    assert_int_equal(send_all(w->fd[i], req, strlen(req)), 0);
  }
  w->max_threads = thread_count();
  int left = n;
  double give_up = now_s() + 20;
  while (left && now_s() < give_up) {
    struct pollfd pf[32];
    for (int i = 0; i < n; i++) pf[i] = (struct pollfd){.fd = w->got[i] ? -1 : w->fd[i], .events = POLLIN};
    int k = poll(pf, (nfds_t)n, 20);
    int t = thread_count();
    if (t > w->max_threads) w->max_threads = t;
    if (k <= 0) continue;
    for (int i = 0; i < n; i++) {
      if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      w->got[i] = now_s();
      read_resp(w->fd[i], &w->r[i], 0);
      close(w->fd[i]);
      left--;
    }
  }
  if (left) fail_msg("%d of %d scrapes got no answer in 20 s", left, n);
}

static void wave_free(struct wave *w, int n) {
  for (int i = 0; i < n; i++) http_resp_free(&w->r[i]);
}

static const char *timeout_body(unsigned ms, char *buf, size_t n) {
  snprintf(buf, n, "Exceeded configured timeout of %u ms.\n", ms);
  return buf;
}

static const char *refusal_body(unsigned bound, char *buf, size_t n) {
  snprintf(buf, n, "Limit of concurrent renders reached (%u still running), try again later.\n", bound);
  return buf;
}

static char *render_text(promc_registry *reg) {
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &b), 0);
  assert_int_equal(promc_buf_write(&b, "", 1), 0);
  return b.data;
}

/* The whole story with the given bound (0: the default) and render timeout. */
static void run_stuck_collector(unsigned max_render_threads, unsigned timeout_ms) {
  enum { N = 12 };
  const unsigned bound = max_render_threads ? max_render_threads : DEFAULT_BOUND;
  promc_registry *reg = make_registry(), *sm;
  assert_int_equal(promc_registry_new(&sm), 0);
  promc_http_opts o = {.addr = "127.0.0.1", .registry = reg, .self_metrics = 1, .self_metrics_registry = sm,
                       .render_timeout_ms = timeout_ms, .max_render_threads = max_render_threads};
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &o), 0);
  unsigned port = promc_http_port(s);
  int base = thread_count();

  /* a render that ends: 200, and its thread goes */
  struct http_resp r;
  assert_int_equal(http_get(port, "/metrics", &r), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "gated 5\n"));
  http_resp_free(&r);
  assert_int_equal(wait_threads_at_most(base), base);

  /* the collector hangs; N scrapes at once, then N more */
  gate_set(1);
  char tbody[128], rbody[128];
  timeout_body(timeout_ms, tbody, sizeof tbody);
  refusal_body(bound, rbody, sizeof rbody);
  struct wave w;
  int n_timeout = 0, n_refused = 0, peak = 0;
  for (int round = 0; round < 2; round++) {
    wave_run(port, N, NULL, &w);
    if (w.max_threads > peak) peak = w.max_threads;
    for (int i = 0; i < N; i++) {
      struct http_resp *ri = &w.r[i];
      if (ri->status != 503) fail_msg("round %d scrape %d: status %d, not 503", round, i, ri->status);
      double dt = w.got[i] - w.sent;
      if (strcmp(ri->body, tbody) == 0) {
        n_timeout++;
        if (dt < timeout_ms / 1000.0 - 0.02) fail_msg("timed out after %.3f s, before its deadline", dt);
      } else if (strcmp(ri->body, rbody) == 0) {
        n_refused++;
        if (dt > timeout_ms / 2000.0) fail_msg("refused after %.3f s, not at once", dt);
      } else {
        fail_msg("round %d scrape %d: unexpected body \"%s\"", round, i, ri->body);
      }
    }
    wave_free(&w, N);
  }
  /* every slot taken by the first `bound` scrapes, whose renders never end */
  if (peak > base + (int)bound)
    fail_msg("%d threads with the collector stuck: %d more than the %d before, bound %u", peak, peak - base, base,
             bound);
  assert_int_equal(n_timeout, bound);
  assert_int_equal(n_refused, 2 * N - (int)bound);
  assert_int_equal(thread_count(), base + (int)bound);
  /* every one of them counted as a 503 in the self-metrics */
  char *text = render_text(sm), want[160];
  snprintf(want, sizeof want, "promhttp_metric_handler_requests_total{code=\"503\"} %d\n", 2 * N);
  if (!strstr(text, want)) fail_msg("self-metrics lack \"%s\":\n%s", want, text);
  free(text);

  /* released: the stuck renders end, their slots free, and a scrape is 200 */
  gate_set(0);
  assert_int_equal(wait_threads_at_most(base), base);
  assert_int_equal(http_get(port, "/metrics", &r), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "gated 5\n"));
  http_resp_free(&r);
  /* one render each: the warm-up, the `bound` stuck ones, the last */
  assert_int_equal(atomic_load(&calls), (int)bound + 2);
  promc_http_stop(s);
  promc_registry_free(reg);
  promc_registry_free(sm);
}

static void stuck_collector_default_bound(void **state) {
  (void)state;
  run_stuck_collector(0, 400);
}

static void stuck_collector_bound_two(void **state) {
  (void)state;
  run_stuck_collector(2, 300);
}

/* At the bound, a scrape identical to a running render still joins it (and
 * times out with it); a different one is refused at once. */
static void coalescing_joins_at_the_bound(void **state) {
  (void)state;
  promc_registry *reg = make_registry();
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .render_timeout_ms = 500, .coalesce_scrapes = 1,
                                                           .max_render_threads = 1}),
                   0);
  unsigned port = promc_http_port(s);
  int base = thread_count();
  gate_set(1);
  /* the first text scrape takes the one slot */
  int fd = tcp_connect(port, 10000);
  assert_true(fd >= 0);
  const char *req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  assert_int_equal(send_all(fd, req, strlen(req)), 0);
  for (int i = 0; i < 500 && gate_blocked() < 1; i++) sleep_ms(10);
  assert_int_equal(gate_blocked(), 1);
  /* three more text scrapes join it; OpenMetrics ones cannot */
  struct wave w;
  wave_run(port, 3, NULL, &w);
  char tbody[128], rbody[128];
  for (int i = 0; i < 3; i++) {
    assert_int_equal(w.r[i].status, 503);
    assert_string_equal(w.r[i].body, timeout_body(500, tbody, sizeof tbody));
  }
  wave_free(&w, 3);
  wave_run(port, 3, "Accept: application/openmetrics-text;version=1.0.0\r\n", &w);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(w.r[i].status, 503);
    assert_string_equal(w.r[i].body, refusal_body(1, rbody, sizeof rbody));
    if (w.got[i] - w.sent > 0.25) fail_msg("refused after %.3f s", w.got[i] - w.sent);
  }
  assert_true(w.max_threads <= base + 1);
  wave_free(&w, 3);
  struct http_resp r;
  assert_int_equal(read_resp(fd, &r, 0), 0);
  close(fd);
  assert_int_equal(r.status, 503);
  http_resp_free(&r);
  assert_int_equal(atomic_load(&calls), 1);
  gate_set(0);
  assert_int_equal(wait_threads_at_most(base), base);
  assert_int_equal(http_get_ex(port, "GET", "/metrics", "Accept: application/openmetrics-text;version=1.0.0\r\n",
                               &r),
                   0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "# EOF\n"));
  http_resp_free(&r);
  promc_http_stop(s);
  promc_registry_free(reg);
}

/* Stop with every slot held by a stuck render: the waiting scrapes are
 * answered, stop waits for the renders (they use the registry, freed right
 * after) and returns once they end. */
struct stopper {
  promc_http_server *s;
  _Atomic int done;
};

static void *stop_main(void *arg) {
  struct stopper *st = arg;
  promc_http_stop(st->s);
  atomic_store(&st->done, 1);
  return NULL;
}

static void stop_waits_for_stuck_renders(void **state) {
  (void)state;
  promc_registry *reg = make_registry();
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .render_timeout_ms = 60000}),
                   0);
  unsigned port = promc_http_port(s);
  gate_set(1);
  enum { N = DEFAULT_BOUND + 2 };
  int fd[N];
  const char *req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  for (int i = 0; i < N; i++) {
    fd[i] = tcp_connect(port, 10000);
    assert_true(fd[i] >= 0);
    assert_int_equal(send_all(fd[i], req, strlen(req)), 0);
  }
  for (int i = 0; i < 500 && gate_blocked() < 1; i++) sleep_ms(10);
  assert_int_equal(gate_blocked(), 1);
  sleep_ms(100); /* the rest reach the server */
  struct stopper st = {.s = s};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, stop_main, &st), 0);
  /* the waiting scrapes are answered (503) or cut off while stop waits */
  for (int i = 0; i < N; i++) {
    struct http_resp r;
    int rc = read_resp(fd[i], &r, 0);
    close(fd[i]);
    assert_true(rc != 0 || r.status == 503);
    http_resp_free(&r);
  }
  sleep_ms(200);
  assert_int_equal(atomic_load(&st.done), 0);
  gate_set(0);
  double t0 = now_s();
  while (!atomic_load(&st.done) && now_s() - t0 < 5) sleep_ms(5);
  assert_int_equal(atomic_load(&st.done), 1);
  pthread_join(t, NULL);
  promc_registry_free(reg);
}

static void max_render_threads_validated(void **state) {
  (void)state;
  promc_http_server *s = (promc_http_server *)&s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .max_render_threads = 2}),
                   PROMC_EINVAL);
  assert_null(s);
  assert_non_null(strstr(promc_errmsg(), "max_render_threads needs render_timeout_ms or coalesce_scrapes"));
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .coalesce_scrapes = 1,
                                                           .max_render_threads = 2}),
                   0);
  promc_http_stop(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(stuck_collector_default_bound),
      cmocka_unit_test(stuck_collector_bound_two),
      cmocka_unit_test(coalescing_joins_at_the_bound),
      cmocka_unit_test(max_render_threads_validated),
      cmocka_unit_test(stop_waits_for_stuck_renders),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
