/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_guard.c — the built-in server's defences, one at a time and
 * small enough for the sanitizer builds: the header deadline, making room
 * when every slot is taken, the bounded password verifier (429), and stop
 * with password checks in flight.  The same defences under full-size attacks
 * are in test_http_attack.c. */
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http_test_util.h"
#include "promc/http.h"
#include "promc/promc.h"

static promc_registry *reg;

static void scrape_ok_within(unsigned port, double limit, const char *extra) {
  double t0 = now_s();
  struct http_resp r;
  assert_int_equal(http_get_ex(port, "GET", "/metrics", extra, &r), 0);
  double dt = now_s() - t0;
  assert_int_equal(r.status, 200);
  http_resp_free(&r);
  if (dt > limit) fail_msg("scrape took %.3f s (limit %.1f s)", dt, limit);
}

/* Seconds until the server closes fd (recv returns 0 or fails), sending
 * one byte of header every 200 ms meanwhile; at most max_s. */
static double trickle_until_closed(int fd, double max_s) {
  double t0 = now_s();
  while (now_s() - t0 < max_s) {
    (void)send(fd, "a", 1, MSG_NOSIGNAL);
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 200) > 0) {
      char b[256];
      ssize_t k = recv(fd, b, sizeof b, MSG_DONTWAIT);
      if (k <= 0) return now_s() - t0;
    }
  }
  return max_s;
}

static void header_deadline_closes_a_trickling_request(void **state) {
  (void)state;
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .header_timeout_seconds = 1}),
                   0);
  unsigned port = promc_http_port(s);
  /* a kept-alive connection that completed a request is not hurried */
  int ka = tcp_connect(port, 3000);
  assert_true(ka >= 0);
  const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  assert_int_equal(send_all(ka, req, sizeof req - 1), 0);
  char buf[4096];
  assert_true(recv(ka, buf, sizeof buf, 0) > 0);

  int fd = tcp_connect(port, 3000);
  assert_true(fd >= 0);
  assert_int_equal(send_all(fd, "GET /metrics HTTP/1.1\r\nX-a: ", 28), 0);
  double dt = trickle_until_closed(fd, 6);
  close(fd);
  if (dt < 0.8 || dt > 3.0) fail_msg("a trickled header was closed after %.2f s; the deadline is 1 s", dt);

  /* a body trickled after a complete header is held to the same deadline */
  fd = tcp_connect(port, 3000);
  assert_true(fd >= 0);
  const char post[] = "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n";
  assert_int_equal(send_all(fd, post, sizeof post - 1), 0);
  dt = trickle_until_closed(fd, 6);
  close(fd);
  if (dt < 0.8 || dt > 3.0) fail_msg("a trickled body was closed after %.2f s; the deadline is 1 s", dt);

  /* the same with nothing sent at all */
  fd = tcp_connect(port, 3000);
  assert_true(fd >= 0);
  double t0 = now_s();
  assert_int_equal(recv(fd, buf, 1, 0), 0);
  dt = now_s() - t0;
  close(fd);
  if (dt < 0.8 || dt > 3.0) fail_msg("a silent connection was closed after %.2f s", dt);

  /* 2+ s idle after its request, the kept-alive connection still answers */
  const char last[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  assert_int_equal(send_all(ka, last, sizeof last - 1), 0);
  struct http_resp r;
  assert_int_equal(read_resp(ka, &r, 0), 0);
  assert_int_equal(r.status, 200);
  http_resp_free(&r);
  close(ka);
  promc_http_stop(s);
}

/* Every slot held by a stalled request: once the server has been full for
 * 2 s, a new client displaces the connection that has waited longest. */
static void full_server_closes_the_longest_waiting_connection(void **state) {
  (void)state;
  enum { N = 6 };
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .max_connections = N, .threads = 1,
                                                           .header_timeout_seconds = 60}),
                   0);
  unsigned port = promc_http_port(s);
  int fds[N];
  for (int i = 0; i < N; i++) {
    fds[i] = tcp_connect(port, 3000);
    assert_true(fds[i] >= 0);
    assert_int_equal(send_all(fds[i], "GET /metrics HTTP/1.1\r\n", 23), 0);
    usleep(50 * 1000);
  }
  usleep(2300 * 1000);
  scrape_ok_within(port, 1.0, NULL);
  /* the oldest one was closed for it, the newest is still open */
  char c;
  struct pollfd p = {fds[0], POLLIN, 0};
  assert_int_equal(poll(&p, 1, 1000), 1);
  assert_int_equal(recv(fds[0], &c, 1, 0), 0);
  p.fd = fds[N - 1];
  assert_int_equal(poll(&p, 1, 0), 0);
  for (int i = 0; i < N; i++) close(fds[i]);
  promc_http_stop(s);
}

static char *make_hash(const char *password, int cost) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  struct crypt_data *cd = calloc(1, sizeof *cd);
  assert_non_null(cd);
  assert_non_null(crypt_gensalt_rn("$2b$", cost, NULL, 0, setting, sizeof setting));
  const char *h = crypt_r(password, setting, cd);
  assert_true(h && h[0] == '$');
  char *out = strdup(h);
  free(cd);
  return out;
}

#define GOOD "Authorization: Basic cHJvbWV0aGV1czpyaWdodA==\r\n" /* prometheus:right */
#define BAD "Authorization: Basic cHJvbWV0aGV1czp3cm9uZw==\r\n"  /* prometheus:wrong */

/* Sends a wrong-password request on each of n fresh connections at once,
 * then reads every answer; counts 401s and 429s (with Retry-After). */
static void flood_once(unsigned port, int n, int *n401, int *n429) {
  int *fds = calloc((size_t)n, sizeof *fds);
  assert_non_null(fds);
  const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" BAD "\r\n";
  for (int i = 0; i < n; i++) {
    fds[i] = tcp_connect(port, 10000);
    assert_true(fds[i] >= 0);
    assert_int_equal(send_all(fds[i], req, sizeof req - 1), 0);
  }
  *n401 = *n429 = 0;
  for (int i = 0; i < n; i++) {
    struct http_resp r;
    assert_int_equal(read_resp(fds[i], &r, 0), 0);
    char v[16];
    if (r.status == 401) (*n401)++;
    if (r.status == 429) {
      assert_non_null(resp_header(&r, "Retry-After", v, sizeof v));
      assert_string_equal(v, "1");
      (*n429)++;
    }
    assert_true(r.status == 401 || r.status == 429);
    http_resp_free(&r);
    close(fds[i]);
  }
  free(fds);
}

static void password_checks_are_bounded_and_the_rest_get_429(void **state) {
  (void)state;
  char *hash = make_hash("right", 10);
  promc_http_user users[] = {{"prometheus", hash}};
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .users = users, .nusers = 1}),
                   0);
  unsigned port = promc_http_port(s);
  int n401, n429;
  flood_once(port, 24, &n401, &n429);
  print_message("24 wrong passwords at once: %d x 401, %d x 429\n", n401, n429);
  assert_true(n401 >= 1);
  assert_true(n429 >= 1);
  assert_true(n401 <= 12); /* a bounded number were hashed */

  /* the right password, not yet known: verified when the queue has room */
  int st = 0;
  for (int i = 0; i < 30 && st != 200; i++) {
    struct http_resp r;
    assert_int_equal(http_get_ex(port, "GET", "/metrics", GOOD, &r), 0);
    st = r.status;
    http_resp_free(&r);
    if (st == 429) usleep(100 * 1000);
  }
  assert_int_equal(st, 200);
  /* no credentials: 401 at once, without a check */
  struct http_resp r;
  assert_int_equal(http_get(port, "/metrics", &r), 0);
  assert_int_equal(r.status, 401);
  http_resp_free(&r);
  promc_http_stop(s);
  free(hash);
}

/* While a flood keeps the verifier busy, the known-good password is
 * answered on the connection thread, never queued. */
static void known_good_password_skips_the_queue(void **state) {
  (void)state;
  char *hash = make_hash("right", 14); /* ~0.8 s a check: longer than the limit below */
  promc_http_user users[] = {{"prometheus", hash}};
  promc_http_server *s;
  /* one connection thread: were checks run on it, the scrape would wait */
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .users = users, .nusers = 1, .threads = 1}),
                   0);
  unsigned port = promc_http_port(s);
  /* learnt (one slow check: the machine may be busy) */
  int lfd = tcp_connect(port, 60000);
  assert_true(lfd >= 0);
  const char learn[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" GOOD "\r\n";
  assert_int_equal(send_all(lfd, learn, sizeof learn - 1), 0);
  struct http_resp r;
  assert_int_equal(read_resp(lfd, &r, 0), 0);
  assert_int_equal(r.status, 200);
  http_resp_free(&r);
  close(lfd);
  enum { N = 16 };
  int fds[N];
  const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" BAD "\r\n";
  for (int i = 0; i < N; i++) {
    fds[i] = tcp_connect(port, 10000);
    assert_true(fds[i] >= 0);
    assert_int_equal(send_all(fds[i], req, sizeof req - 1), 0);
  }
  usleep(100 * 1000);
  /* five checks of ~0.8 s each are taken (the rest refused); the known
   * password waits for none of them (run on the connection threads, as
   * before, it waited for the checks those threads were in) */
  scrape_ok_within(port, 0.5, GOOD);
  for (int i = 0; i < N; i++) close(fds[i]);
  promc_http_stop(s);
  free(hash);
}

/* Stop with checks queued and running: prompt, and nothing leaks. */
static void stop_with_password_checks_in_flight(void **state) {
  (void)state;
  char *hash = make_hash("right", 10);
  promc_http_user users[] = {{"prometheus", hash}};
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .users = users, .nusers = 1}),
                   0);
  unsigned port = promc_http_port(s);
  enum { N = 8 };
  int fds[N];
  const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n" BAD "\r\n";
  for (int i = 0; i < N; i++) {
    fds[i] = tcp_connect(port, 10000);
    assert_true(fds[i] >= 0);
    assert_int_equal(send_all(fds[i], req, sizeof req - 1), 0);
  }
  usleep(100 * 1000);
  double t0 = now_s();
  promc_http_stop(s);
  double dt = now_s() - t0;
  /* it waits for the one check running (~50 ms at cost 10), not the queue */
  if (dt > 1.5) fail_msg("stop took %.2f s with password checks in flight", dt);
  for (int i = 0; i < N; i++) close(fds[i]);
  free(hash);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  if (promc_registry_new(&reg) != 0) return 1;
  promc_counter *c;
  if (promc_counter_new(&c, &(promc_opts){.name = "alive", .help = "x", .registry = reg}) != 0) return 1;
  promc_counter_inc(c);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(header_deadline_closes_a_trickling_request),
      cmocka_unit_test(full_server_closes_the_longest_waiting_connection),
      cmocka_unit_test(password_checks_are_bounded_and_the_rest_get_429),
      cmocka_unit_test(known_good_password_skips_the_queue),
      cmocka_unit_test(stop_with_password_checks_in_flight),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  promc_registry_free(reg);
  promc_shutdown();
  return rc;
}
